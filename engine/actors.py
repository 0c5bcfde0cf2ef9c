"""Who is acting: a signed-in user, or the operator at the command line."""

from __future__ import annotations

from dataclasses import dataclass

# How the audit trail names who acted when no signed-in user did (engine.services.people reads them back):
CLI_PREFIX = "cli:"  # the operator at the server's terminal: "cli:root"
SYSTEM_PREFIX = "sistem:"  # the engine itself: "sistem:penjadwal" for timers
REGISTRATION_PREFIX = "pendaftaran:"  # an applicant creating their own account: "pendaftaran:ani"


@dataclass(frozen=True)
class Actor:
    """The person a service acts for. `user_id` is None for the server operator (CLI)."""

    username: str
    roles: frozenset[str] = frozenset()
    user_id: int | None = None
    full_name: str = ""

    @property
    def is_operator(self) -> bool:
        return self.user_id is None

    @classmethod
    def operator(cls, name: str) -> Actor:
        """The person running the CLI on the server (deploys, user administration)."""
        return cls(username=name)

    def has_any(self, *roles: str) -> bool:
        """True when the actor holds at least one of `roles`."""
        return not self.roles.isdisjoint(roles)
