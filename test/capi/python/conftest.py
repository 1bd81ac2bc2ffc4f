"""Fixtures of the C API tests through the official Python wrapper (rocketmq-client-python 2.0.0,
unchanged, loading our librocketmq.so): the name server, one topic per session, unique groups."""
import json
import os
import subprocess
import threading
import time
import uuid

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


def unique(prefix):
    return '%s_%d_%s' % (prefix, os.getpid(), uuid.uuid4().hex[:8])


@pytest.fixture(scope='session')
def namesrv():
    return os.environ.get('NAMESRV_ADDR', '127.0.0.1:' + os.environ.get('RMQ_NAMESRV_PORT', '9876'))


class Topic(str):
    """A topic name that knows how many queues it has."""
    queues = 0


@pytest.fixture(scope='session')
def topic(namesrv):
    """A topic of this run, 4 queues on each broker (created with the Java interop peer)."""
    name = unique('capi_py')
    out = subprocess.run([os.path.join(ROOT, 'test', 'interop', 'interop.sh'), 'create-topic', '--namesrv', namesrv,
                          '--topic', name, '--queues', '4'], check=True, stdout=subprocess.PIPE).stdout
    created = json.loads(out.decode('utf-8').strip().splitlines()[-1])
    result = Topic(name)
    result.queues = created['queues'] * len(created['brokers'])
    return result


class Received(object):
    """What a consumer callback saw, read by the test thread with deadlines."""

    def __init__(self):
        self.lock = threading.Condition()
        self.messages = []

    def add(self, record):
        with self.lock:
            self.messages.append(record)
            self.lock.notify_all()

    def wait_for(self, predicate, timeout, what):
        deadline = time.time() + timeout
        with self.lock:
            while not predicate(self.messages):
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError('timed out after %.0f s waiting for %s; received %r'
                                         % (timeout, what, self.messages))
                self.lock.wait(left)
            return list(self.messages)


@pytest.fixture
def received():
    return Received()
