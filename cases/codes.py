"""Event codes of the criminal catalogue (DOMAIN.md §3) and the groups the rules read: one home for them.

The catalogue itself (labels, kinds, outcomes) is data (`cases.catalogue_seed`, editable in the admin);
these are the codes the product's rules name, so that a rule reads `INDICTMENT`, not a string typed again.
"""

ARREST_REVIEW = "arrest_review"
PROSECUTION_REVIEW = "prosecution_review"
ARREST_COMPLAINT = "arrest_complaint"
ARREST_RECONSIDERATION = "arrest_reconsideration"
ARREST_SUPERIOR_REVIEW = "arrest_superior_review"
SUPPLEMENTARY_INVESTIGATION = "supplementary_investigation"
REVIEW_EXTENSION = "review_extension"
DETENTION_EXTENSION = "detention_extension"
DETENTION_RECALCULATION = "detention_recalculation"
NON_PROSECUTION_RECONSIDERATION = "non_prosecution_reconsideration"
NON_PROSECUTION_SUPERIOR_REVIEW = "non_prosecution_superior_review"
NON_PROSECUTION_COMPLAINT = "non_prosecution_complaint"
PROSECUTION_WITHDRAWAL = "prosecution_withdrawal"
TRIAL_SUPPLEMENTARY_INVESTIGATION = "trial_supplementary_investigation"
SECOND_INSTANCE = "second_instance"
RETRIAL = "retrial"
JUDICIAL_SUPERVISION = "judicial_supervision"
STATE_COMPENSATION = "state_compensation"
RESUBMISSION = "resubmission"
SELF_SUPPLEMENTARY_INVESTIGATION = "self_supplementary_investigation"
ARREST_DECISION = "arrest_decision"
INDICTMENT = "indictment"
NON_PROSECUTION = "non_prosecution"
JURISDICTION_TRANSFER = "jurisdiction_transfer"
JUDGMENT = "judgment"

# The intake (base) steps: a case is received by one of them (DOMAIN §4).
BASE_CODES = frozenset({ARREST_REVIEW, PROSECUTION_REVIEW})
# Steps that start a prosecution-review period (审查起诉期限, DOMAIN §6): receipt, resubmission, transfer.
REVIEW_PERIOD_STARTS = frozenset({PROSECUTION_REVIEW, RESUBMISSION, JURISDICTION_TRANSFER})
# Steps that end the prosecution review (its decision).
REVIEW_ENDS = frozenset({INDICTMENT, NON_PROSECUTION})
