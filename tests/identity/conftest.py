from tests.wechat.fixtures import *  # noqa: F403
