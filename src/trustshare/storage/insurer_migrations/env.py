"""Alembic environment of the insurer database (see ``trustshare.storage.migrations_runner``)."""

from trustshare.storage.insurer_models import InsurerBase
from trustshare.storage.migrations_runner import run_environment

run_environment(InsurerBase.metadata)
