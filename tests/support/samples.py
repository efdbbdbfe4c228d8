"""Sample article texts written for these tests: a wire story, a syndicated copy of it, and an
independent write-up of the same event (for deduplication and tagging)."""

from __future__ import annotations

WIRE = (
    "SEOUL, Nov. 20 -- South Korea will lend Cambodia 200 million dollars through the Economic "
    "Development Cooperation Fund to build a ring road around Phnom Penh, the finance ministry "
    "said on Thursday. The loan carries an interest rate of 0.05 percent and a 40-year term. "
    "Construction of the 62-kilometre road is to begin next year and employ about 3,000 local "
    "workers, officials said. Cambodia is the largest recipient of the fund in Southeast Asia."
)
# The same wire story as a syndicating outlet runs it: new first line, trimmed ending.
COPY = (
    "PHNOM PENH -- Korea is to lend Cambodia 200 million dollars through the Economic "
    "Development Cooperation Fund to build a ring road around Phnom Penh, the finance ministry "
    "said on Thursday. The loan carries an interest rate of 0.05 percent and a 40-year term. "
    "Construction of the 62-kilometre road is to begin next year and employ about 3,000 local "
    "workers, officials said."
)
# The same event written up independently: not a duplicate.
OTHER_WRITEUP = (
    "Cambodian officials welcomed a new Korean loan for the capital's long-delayed ring road. "
    "Traffic in Phnom Penh has doubled in five years, and residents of Chbar Ampov hope the "
    "road will ease daily jams. The Council for the Development of Cambodia said the project "
    "would be tendered to Korean and local contractors in the spring."
)
