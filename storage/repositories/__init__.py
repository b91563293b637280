"""Queries named for the question they answer; they never commit (the service owns the unit of work).

Status sets and other policy are parameters; ``tokens`` implements the WeChat client's token store.
"""
