"""WeChat server APIs: a thin async httpx client and the fake server used in dev and tests."""
