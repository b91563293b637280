"""WeChat transport: webhook protocol (verify, decrypt, parse, reply) and the async API client."""
