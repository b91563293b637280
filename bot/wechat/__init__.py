"""WeChat transport: webhook protocol (verify, decrypt, parse, reply) and the async API client.

The client keeps its access token in a ``tokens.TokenStore`` passed in (the database implements
it in ``storage.repositories.tokens``); nothing here imports storage or services.
"""
