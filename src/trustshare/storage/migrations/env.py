"""Alembic environment of the bureau database (see ``trustshare.storage.migrations_runner``)."""

from trustshare.storage.migrations_runner import run_environment
from trustshare.storage.models import Base

run_environment(Base.metadata)
