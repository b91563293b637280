"""Services: the domain work chat handlers, the web console, the CLI and the jobs call.

They take values (an openid or a person, a case or its number, text, attachments; the runtime for
clock and settings) and return outcomes the caller words; they never see a chat ``Context`` or
WeChat's field names, and never import the dispatcher, ``handlers`` or the jobs. Rules of a
case come from ``bot.case_policy``. Read-side questions the chat and the console ask (lists,
lookups, who may see what) are in ``case_queries`` and ``citizen_cases``.
"""
