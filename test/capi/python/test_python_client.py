"""The public API of rocketmq-client-python 2.0.0 (unchanged, from PyPI) running on rocketmq-cpp's
librocketmq.so through its C API, against the real cluster."""
import ctypes
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import Received, unique
from rocketmq.client import ConsumeStatus, Message, Producer, PushConsumer, SendStatus
from rocketmq.ffi import dll


def make_producer(namesrv, orderly=False):
    producer = Producer(unique('capi_py_p'), orderly)
    producer.set_name_server_address(namesrv)
    producer.start()
    return producer


def message(topic, tags, keys, body, **properties):
    msg = Message(topic)
    msg.set_tags(tags)
    msg.set_keys(keys)
    msg.set_body(body)
    for name, value in properties.items():
        msg.set_property(name, value)
    return msg


def record(msg):
    return {
        'topic': msg.topic, 'tags': msg.tags, 'keys': msg.keys, 'body': msg.body, 'id': msg.id,
        'queue_id': msg.queue_id, 'queue_offset': msg.queue_offset, 'reconsume_times': msg.reconsume_times,
        'color': msg.get_property('color'), 'born': msg.born_timestamp, 'store_size': msg.store_size,
    }


def recording(received):
    """A callback that records each message in `received` and consumes it."""
    def on_message(msg):
        received.add(record(msg))
        return ConsumeStatus.CONSUME_SUCCESS
    return on_message


# Test support only, not the wrapper's API: the broker a received message is stored on (the C API
# has it; rocketmq-client-python 2.0.0 does not bind it), to tell the queues of two brokers apart.
dll.GetMessageStoreHost.argtypes = [ctypes.c_void_p]
dll.GetMessageStoreHost.restype = ctypes.c_char_p


def start_consumer(namesrv, topic, tags, callback, orderly=False):
    """A consumer subscribed to `tags`, started and seen to receive from every queue of the topic.

    A new group starts at the end of each queue when it takes it, and it takes them one after the
    other: probes (key "probe", the first of `tags`) go to every queue, through sharding keys, until
    each queue has delivered one, so that nothing sent afterwards is missed. Probes are left out of
    `received`."""
    consumer = PushConsumer(unique('capi_py_c'), orderly)
    consumer.set_name_server_address(namesrv)
    seen = set()
    lock = threading.Lock()

    def on_message(msg):
        if msg.keys == b'probe':
            with lock:
                seen.add((dll.GetMessageStoreHost(msg._handle), msg.queue_id))
            return ConsumeStatus.CONSUME_SUCCESS
        return callback(msg)

    consumer.subscribe(topic, on_message, tags)
    consumer.start()
    prober = Producer(unique('capi_py_p'), True)
    prober.set_name_server_address(namesrv)
    prober.start()
    probe_tag = tags.split('||')[0].strip()
    try:
        for round in range(60):
            for key in range(4 * topic.queues):
                prober.send_orderly_with_sharding_key(message(topic, probe_tag, 'probe', 'probe'),
                                                      'probe-%d' % key)
            for _ in range(10):
                with lock:
                    if len(seen) >= topic.queues:
                        return consumer
                threading.Event().wait(0.1)
        consumer.shutdown()
        raise AssertionError('consumer received probes from %d of %d queues within 60 s' % (len(seen), topic.queues))
    finally:
        prober.shutdown()


@pytest.fixture(scope='module', autouse=True)
def redelivery(namesrv, topic):
    """The RECONSUME_LATER case, started before the other tests so that the broker's first retry delay
    (10 s) passes while they run; test_reconsume_later_redelivers_with_reconsume_times_1 checks it."""
    producer = make_producer(namesrv)
    received = Received()

    def on_message(msg):
        received.add(record(msg))
        # The first delivery asks for a retry; the retry (reconsume times 1) is consumed.
        return ConsumeStatus.RECONSUME_LATER if msg.reconsume_times == 0 else ConsumeStatus.CONSUME_SUCCESS

    consumer = start_consumer(namesrv, topic, 'retry', on_message)
    sent = producer.send_sync(message(topic, 'retry', 'r-1', 'retry me', color='red'))
    yield sent, received
    consumer.shutdown()
    producer.shutdown()


def test_import_binds_every_symbol():
    # rocketmq.ffi binds its functions at import; these are some only bound there, never called.
    for name in ('DestroyMessage', 'SetByteMessageBody', 'CreateBatchMessage', 'AddMessage', 'DestroyBatchMessage',
                 'SendBatchMessage', 'SetProducerLogPath', 'SetProducerLogFileNumAndSize', 'SetProducerLogLevel',
                 'GetPushConsumerGroupID', 'SetPushConsumerLogPath', 'SetPushConsumerLogLevel'):
        assert hasattr(dll, name)
    # And the library loaded is rocketmq-cpp's, not another librocketmq.so.
    dll.ShowProducerVersion.argtypes = [ctypes.c_void_p]
    dll.ShowProducerVersion.restype = ctypes.c_char_p
    producer = Producer(unique('capi_py_p'))
    assert dll.ShowProducerVersion(producer._handle).startswith(b'rocketmq-cpp ')


def test_send_sync_result(namesrv, topic):
    producer = make_producer(namesrv)
    try:
        result = producer.send_sync(message(topic, 'sync', 'k-sync', 'hello'))
        assert result.status == SendStatus.OK
        assert len(result.msg_id) == 32
        assert result.offset >= 0
    finally:
        producer.shutdown()


def test_subscribe_with_tags_properties_and_keys(namesrv, topic, received):
    producer = make_producer(namesrv)

    consumer = start_consumer(namesrv, topic, 'TagA || TagC', recording(received))
    try:
        ids = {}
        for i in range(9):
            tags = ('TagA', 'TagB', 'TagC')[i % 3]
            result = producer.send_sync(message(topic, tags, 'key-%d key2-%d' % (i, i), 'body %d' % i,
                                                color='blue-%d' % i))
            ids[i] = result.msg_id
        got = received.wait_for(lambda m: len(m) >= 6, 60, 'the 6 TagA/TagC messages')
        by_body = {r['body']: r for r in got}
        assert sorted(by_body) == sorted(b'body %d' % i for i in range(9) if i % 3 != 1)
        for i in (0, 2, 3, 5, 6, 8):
            r = by_body[b'body %d' % i]
            assert r['topic'] == topic
            assert r['tags'] == (b'TagA' if i % 3 == 0 else b'TagC')
            assert r['keys'] == b'key-%d key2-%d' % (i, i)
            assert r['color'] == b'blue-%d' % i
            assert r['id'] == ids[i]
            assert r['reconsume_times'] == 0 and r['born'] > 0 and r['store_size'] > 0
        assert all(r['tags'] != b'TagB' for r in got)
    finally:
        consumer.shutdown()
        producer.shutdown()


def test_send_oneway_is_delivered(namesrv, topic, received):
    producer = make_producer(namesrv)

    consumer = start_consumer(namesrv, topic, 'oneway', recording(received))
    try:
        for i in range(5):
            producer.send_oneway(message(topic, 'oneway', 'ow-%d' % i, 'oneway %d' % i))
        got = received.wait_for(lambda m: len({r['keys'] for r in m}) >= 5, 60, '5 one-way messages')
        assert {r['keys'] for r in got} == {b'ow-%d' % i for i in range(5)}
    finally:
        consumer.shutdown()
        producer.shutdown()


def test_send_orderly_with_sharding_key_keeps_order(namesrv, topic, received):
    producer = make_producer(namesrv, orderly=True)

    consumer = start_consumer(namesrv, topic, 'ordered', recording(received), orderly=True)
    try:
        queues = set()
        for i in range(10):
            result = producer.send_orderly_with_sharding_key(message(topic, 'ordered', 'o-%d' % i, '%d' % i),
                                                             'order-42')
            assert result.status == SendStatus.OK
        got = received.wait_for(lambda m: len(m) >= 10, 60, '10 ordered messages')
        queues = {r['queue_id'] for r in got}
        assert len(queues) == 1, 'one sharding key, one queue: %r' % queues
        assert [int(r['body']) for r in got] == list(range(10))
        offsets = [r['queue_offset'] for r in got]
        assert offsets == sorted(offsets)
    finally:
        consumer.shutdown()
        producer.shutdown()


def test_multi_threaded_producers(namesrv, topic, received):
    shared = make_producer(namesrv)

    consumer = start_consumer(namesrv, topic, 'threads', recording(received))
    own = []
    try:
        # Four threads on one shared producer, two more with a producer each.
        def send_shared(thread):
            return [shared.send_sync(message(topic, 'threads', 's-%d-%d' % (thread, i), 'x')).status
                    for i in range(10)]

        def send_own(thread):
            producer = make_producer(namesrv)
            own.append(producer)
            return [producer.send_sync(message(topic, 'threads', 'o-%d-%d' % (thread, i), 'x')).status
                    for i in range(10)]

        with ThreadPoolExecutor(max_workers=6) as pool:
            futures = [pool.submit(send_shared, t) for t in range(4)] + [pool.submit(send_own, t) for t in range(2)]
            statuses = [s for f in futures for s in f.result()]
        assert statuses == [SendStatus.OK] * 60
        expected = {b's-%d-%d' % (t, i) for t in range(4) for i in range(10)} | \
                   {b'o-%d-%d' % (t, i) for t in range(2) for i in range(10)}
        got = received.wait_for(lambda m: expected <= {r['keys'] for r in m}, 60, 'the 60 messages')
        assert {r['keys'] for r in got} == expected
    finally:
        consumer.shutdown()
        for producer in own:
            producer.shutdown()
        shared.shutdown()


def test_errors_reach_python(namesrv):
    producer = Producer(unique('capi_py_p'))
    # Not started: the send fails with the producer's status and a message naming the cause.
    try:
        producer.send_sync(Message('anything'))
        raise AssertionError('send on a producer not started succeeded')
    except Exception as error:  # ProducerSendSyncFailed
        assert type(error).__name__ == 'ProducerSendSyncFailed'
        assert 'not started' in str(error)
    consumer = PushConsumer(unique('capi_py_c'))
    consumer.set_name_server_address(namesrv)
    try:
        consumer.start()  # no callback registered
        raise AssertionError('a consumer without a callback started')
    except Exception as error:
        assert type(error).__name__ == 'PushConsumerStartFailed'
        assert 'callback' in str(error)
    assert b'callback' in ctypes.c_char_p(dll.GetLatestErrorMessage()).value


def test_reconsume_later_redelivers_with_reconsume_times_1(redelivery):
    sent, received = redelivery
    got = received.wait_for(lambda m: any(r['reconsume_times'] == 1 for r in m), 60, 'the redelivery')
    first = [r for r in got if r['reconsume_times'] == 0]
    again = [r for r in got if r['reconsume_times'] == 1]
    assert first and again
    for r in first + again:
        assert r['id'] == sent.msg_id
        assert not r['topic'].startswith('%RETRY%') and r['body'] == b'retry me' and r['color'] == b'red'
        assert r['keys'] == b'r-1' and r['tags'] == b'retry'
