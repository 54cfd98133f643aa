"""`precise synth`: a synthetic UK population seen through PNC, ANPR, IDENT1 and legacy force exports.

Every file is written in the input format documented in ``docs/formats/``, with ground truth beside it
(which true person each source record describes, and every planted ANPR pattern). Nothing is real: names
come from Faker, identifiers are generated to pass their check rules, phone numbers come from Ofcom's
ranges reserved for drama, and images are noise.
"""
