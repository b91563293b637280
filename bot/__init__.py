"""xinfang-bot service layer: app factory, settings, WeChat transport, case workflow, jobs, CLI."""
