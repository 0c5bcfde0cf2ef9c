"""The default lane map: which roles work the lanes that carry the Dinas's standard names.

A diagram deployed for the first time without a lane map of its own gets these roles for every
lane whose name is one of these; any other lane still needs a map (see `engine.services.deploy`).
`processes/mediasi_kekerasan.lanes.json` holds exactly this map.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from engine.roles import APPLICANT, Role

DEFAULT_LANE_ROLES: Final = MappingProxyType(
    {
        "Pemohon": (APPLICANT,),
        "Ketua LP-PAR": (Role.KETUA_LPPAR.value,),
        "Tim Teknis": (Role.TIM_TEKNIS.value, Role.SEKRETARIS.value),
        "Kepala Dinas": (Role.KEPALA_DINAS.value,),
    }
)


def default_lane_roles() -> dict[str, list[str]]:
    """A fresh copy of the default lane map, `{"Lane name": ["role", ...]}`."""
    return {name: list(roles) for name, roles in DEFAULT_LANE_ROLES.items()}
