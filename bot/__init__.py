"""xinfang-bot below the chat: app factory, settings, case policy, services, jobs, WeChat transport, CLI.

Rooms: ``case_policy`` (statuses, transitions, rights, every deadline number), ``dispatch`` and
``webhook`` (routers, filters, the inbound endpoint), ``services/`` (domain work taking values),
``jobs/`` (when timed work runs; the work is in services), ``wechat/`` (protocol and API client,
given a token store), ``outbox``/``outbox_sender`` (queued and sent notifications), ``cli/``,
``demo/`` and ``simulator/`` (the fake WeChat platform, which imports nothing of ``wechat``).
"""
