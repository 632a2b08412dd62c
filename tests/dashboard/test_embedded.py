"""The embedded store without the wire protocol answers as fakeredis with it does."""

import fakeredis
import pytest
import redis

from socwall.dashboard.embedded import DirectConnection, embedded_client


def both() -> list[redis.Redis]:
    return [fakeredis.FakeRedis(decode_responses=True), embedded_client()]


def script(client: redis.Redis) -> list:
    """Commands socwall sends, their answers and the store they leave."""
    answers = [client.hset("day", mapping={"1700000000": 2.5, "1700000300": 7}),
               client.hincrbyfloat("day", "1700000000", 0.25), client.expire("day", 3600),
               client.rpush("events", "a", "b", "é"), client.sadd("ips", "1.2.3.4", "5.6.7.8"),
               client.zadd("cover", {"oldest": 1700000000}, lt=True),
               client.execute_command("HGET day", "1700000300"),
               # the flow rollups check their hours in a Lua script (fakeredis[lua]: lupa)
               client.register_script("return redis.call('HGET', KEYS[1], ARGV[1])")(
                   keys=["day"], args=["1700000300"])]  # fmt: skip
    with client.pipeline(transaction=True) as pipe:
        pipe.watch("day")
        pipe.multi()
        pipe.hset("day", "1700000600", 1.0)
        pipe.scard("ips")
        pipe.lrange("events", 0, -1)
        answers.append(pipe.execute())
    with pytest.raises(redis.ResponseError):
        client.lpush("day", "x")  # a hash is not a list: the server's error reaches the caller
    return [answers, client.hgetall("day"), client.ttl("day"), client.smembers("ips")]


def test_the_same_commands_give_the_same_answers_and_store():
    plain, direct = both()
    assert script(plain) == script(direct)
    assert script(direct)[1] == {"1700000000": "2.75", "1700000300": "7", "1700000600": "1.0"}


def test_a_watched_key_changed_by_another_client_aborts_the_transaction():
    server = fakeredis.FakeServer()
    client = fakeredis.FakeRedis(server=server, connection_class=DirectConnection)
    other = fakeredis.FakeRedis(server=server)  # with the wire protocol
    with client.pipeline(transaction=True) as pipe:
        pipe.watch("files")
        other.hset("files", "a", "moved")
        pipe.multi()
        pipe.hset("files", "a", "mine")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert client.hget("files", "a") == b"moved"
