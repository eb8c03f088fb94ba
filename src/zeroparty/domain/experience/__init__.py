"""The experience's own rules: definitions, conditions, answers, outcomes, consents and the
attributes answers fill. Nothing here knows a destination's rules (Braze's are in the
`domain.braze_*` and `domain.destination_*` modules, handed in as `elements.TargetRules`)."""
