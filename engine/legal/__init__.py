"""The law the engine keeps whatever a diagram, a form or a person says.

These rules are code, versioned with the engine, never data a process owner can edit:

- `screening`: a case's screening record, cumulative over everything ever submitted, and what in
  it makes mediation impossible (sexual violence, trafficking, exploitation, a child victim, a
  child perpetrator of sexual violence, high danger, no consent of the victim herself, a failed
  assessment, an ineligible category, missing screening data);
- `rules`: what each submission must satisfy (R7 consistency, corrections with a reason, complete
  referrals, R13 attestations);
- `guard`: the check at every step: no mediation letter and no "mediated" end while the record
  forbids it, and no referral end that misses what R2 and R3 require;
- `agreement`: R13's automatic detector (a warning);
- `conformance`: the legal scenarios every deployed version and every migration is simulated on.
"""
