"""Reply templates (Chinese), one module per audience; handlers format these and nothing else.

Numbers of days are placeholders filled from ``bot.case_policy.DEADLINE_NUMBERS``.
"""
