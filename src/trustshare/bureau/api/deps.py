"""FastAPI dependencies of the bureau API, declared once as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from trustshare.bureau.context import BureauContext


def get_context(request: Request) -> BureauContext:
    """The node's context, attached to the app by ``create_app``."""
    context: BureauContext = request.app.state.context
    return context


def get_session(context: Annotated[BureauContext, Depends(get_context)]) -> Iterator[Session]:
    """A session for one request; services commit explicitly."""
    session = context.sessions()
    try:
        yield session
    finally:
        session.close()


ContextDep = Annotated[BureauContext, Depends(get_context)]
SessionDep = Annotated[Session, Depends(get_session)]
