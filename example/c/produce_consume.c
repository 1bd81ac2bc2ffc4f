/* The C API in one program (C11): a producer sends messages tagged "TagA" and "TagB" (synchronously,
   asynchronously, ordered and as a batch), a push consumer subscribed to "TagA" receives only those,
   and asks once for one of them to be reconsumed later; the broker delivers it again with a reconsume
   count of 1. Exits 0 when all of that happened.

     produce_consume <name server> <topic> <group> [messages per tag, default 8]

   Built against the installed library: find_package(RocketMQ) and RocketMQ::rocketmq_c, or
   `cc $(pkg-config --cflags --libs rocketmq-c)`. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include <rocketmq/CErrorMessage.h>
#include <rocketmq/CMessage.h>
#include <rocketmq/CMessageExt.h>
#include <rocketmq/CProducer.h>
#include <rocketmq/CPushConsumer.h>
#include <rocketmq/CSendResult.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRIED_KEY "retry-me"
#define PROBE_KEY "probe"

static CPushConsumer* consumer_handle;
static atomic_int received;     /* first deliveries of TagA messages, success returned */
static atomic_int wrong_tag;    /* messages the tag filter should have kept away */
static atomic_int wrong_handle; /* callbacks with another CPushConsumer* than ours */
static atomic_int retry_first;  /* the retried message, first delivery (reconsume later) */
static atomic_int retry_again;  /* the retried message, delivered again with reconsume times 1 */
#define MAX_QUEUES 64
static atomic_int queue_count;        /* the topic's writable queues, as the selector is told */
static atomic_int probed[MAX_QUEUES]; /* queues that delivered a probe, by selector index */
static atomic_int async_ok;           /* SendAsync success callbacks */
static atomic_int async_failed;

static void on_sent(CSendResult result, CMessage* msg, void* user_data) {
  (void)msg;
  if (result.sendStatus == E_SEND_OK && user_data == &async_ok) atomic_fetch_add(&async_ok, 1);
}

static void on_send_failed(CMQException e, CMessage* msg, void* user_data) {
  (void)msg;
  (void)user_data;
  fprintf(stderr, "asynchronous send failed: %s (%s, %d)\n", e.msg, e.type, e.error);
  atomic_fetch_add(&async_failed, 1);
}

static int first_queue(int size, CMessage* msg, void* arg) {
  (void)msg;
  (void)arg;
  return size > 0 ? 0 : -1;
}

/* The queue of index *arg, remembering how many there are. */
static int queue_at(int size, CMessage* msg, void* arg) {
  (void)msg;
  atomic_store(&queue_count, size);
  return *(const int*)arg % size;
}

static int all_probed(void) {
  const int count = atomic_load(&queue_count);
  if (count <= 0) return 0;
  for (int i = 0; i < count && i < MAX_QUEUES; ++i) {
    if (!atomic_load(&probed[i])) return 0;
  }
  return 1;
}

static int on_message(CPushConsumer* consumer, CMessageExt* msg) {
  if (consumer != consumer_handle) atomic_fetch_add(&wrong_handle, 1);
  if (strcmp(GetMessageTags(msg), "TagA") != 0) {
    atomic_fetch_add(&wrong_tag, 1);
    return E_CONSUME_SUCCESS;
  }
  if (strcmp(GetMessageKeys(msg), PROBE_KEY) == 0) {
    const int index = atoi(GetMessageProperty(msg, "probe_index"));
    if (index >= 0 && index < MAX_QUEUES) atomic_store(&probed[index], 1);
    return E_CONSUME_SUCCESS;
  }
  if (strcmp(GetMessageKeys(msg), RETRIED_KEY) == 0) {
    if (GetMessageReconsumeTimes(msg) == 0) {
      atomic_fetch_add(&retry_first, 1);
      return E_RECONSUME_LATER; /* the broker brings it back after its retry delay */
    }
    if (GetMessageReconsumeTimes(msg) == 1) atomic_fetch_add(&retry_again, 1);
    return E_CONSUME_SUCCESS;
  }
  atomic_fetch_add(&received, 1);
  return E_CONSUME_SUCCESS;
}

static int check(int status, const char* what) {
  if (status != OK) fprintf(stderr, "%s failed (%d): %s\n", what, status, GetLatestErrorMessage());
  return status == OK;
}

static double now(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_briefly(void) {
  struct timespec pause = {0, 100 * 1000 * 1000};
  nanosleep(&pause, NULL);
}

static int send_one(CProducer* producer, const char* topic, const char* tags, const char* keys,
                    const char* body) {
  CMessage* msg = CreateMessage(topic);
  if (msg == NULL) return check(NULL_POINTER, "CreateMessage");
  int ok = check(SetMessageTags(msg, tags), "SetMessageTags") &&
           check(SetMessageKeys(msg, keys), "SetMessageKeys") &&
           check(SetMessageBody(msg, body), "SetMessageBody") &&
           check(SetMessageProperty(msg, "origin", "c-example"), "SetMessageProperty");
  CSendResult result;
  if (ok) ok = check(SendMessageSync(producer, msg, &result), "SendMessageSync");
  if (ok && (result.sendStatus != E_SEND_OK || result.msgId[0] == '\0')) {
    fprintf(stderr, "send: status %d, msgId '%s'\n", (int)result.sendStatus, result.msgId);
    ok = 0;
  }
  DestroyMessage(msg);
  return ok;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s <name server> <topic> <group> [messages per tag]\n", argv[0]);
    return 2;
  }
  const char* namesrv = argv[1];
  const char* topic = argv[2];
  const char* group = argv[3];
  const int per_tag = argc > 4 ? atoi(argv[4]) : 8;

  /* The consumer first: started with no callback it must refuse (PUSHCONSUMER_START_FAILED). */
  consumer_handle = CreatePushConsumer(group);
  if (consumer_handle == NULL) return check(NULL_POINTER, "CreatePushConsumer"), 1;
  if (!check(SetPushConsumerNameServerAddress(consumer_handle, namesrv),
             "SetPushConsumerNameServerAddress") ||
      !check(Subscribe(consumer_handle, topic, "TagA"), "Subscribe"))
    return 1;
  if (StartPushConsumer(consumer_handle) != PUSHCONSUMER_START_FAILED) {
    fprintf(stderr, "StartPushConsumer without a callback did not return PUSHCONSUMER_START_FAILED\n");
    return 1;
  }
  printf("start without callback refused: %s\n", GetLatestErrorMessage());
  if (!check(RegisterMessageCallback(consumer_handle, on_message), "RegisterMessageCallback") ||
      !check(StartPushConsumer(consumer_handle), "StartPushConsumer"))
    return 1;

  CProducer* producer = CreateProducer(group);
  if (producer == NULL) return check(NULL_POINTER, "CreateProducer"), 1;
  if (!check(SetProducerNameServerAddress(producer, namesrv), "SetProducerNameServerAddress") ||
      !check(SetProducerSendMsgTimeout(producer, 5000), "SetProducerSendMsgTimeout") ||
      !check(StartProducer(producer), "StartProducer"))
    return 1;

  /* A new group starts at the end of each queue when it takes it, and takes them one after the
     other: a probe goes to every queue (SendMessageOrderly picks it) until each has delivered one,
     so that none of the messages below is sent before the consumer took its queue. */
  double deadline = now() + 60;
  while (!all_probed()) {
    if (now() > deadline)
      return fprintf(stderr, "the consumer did not receive from every queue within 60 s\n"), 1;
    const int count = atomic_load(&queue_count) > 0 ? atomic_load(&queue_count) : 1;
    for (int index = 0; index < count; ++index) {
      if (atomic_load(&probed[index])) continue;
      char text[16];
      snprintf(text, sizeof text, "%d", index);
      CMessage* probe = CreateMessage(topic);
      SetMessageTags(probe, "TagA");
      SetMessageKeys(probe, PROBE_KEY);
      SetMessageBody(probe, "probe");
      SetMessageProperty(probe, "probe_index", text);
      CSendResult probe_result;
      const int sent = SendMessageOrderly(producer, probe, queue_at, &index, 0, &probe_result);
      DestroyMessage(probe);
      if (!check(sent, "SendMessageOrderly (probe)")) return 1;
    }
    for (int i = 0; i < 10 && !all_probed(); ++i) pause_briefly();
  }
  printf("the consumer receives from all %d queues\n", atomic_load(&queue_count));
  for (int i = 0; i < 2 * per_tag; ++i) {
    const int tag_a = i % 2 == 0;
    char body[64];
    snprintf(body, sizeof body, "message %d", i);
    if (!send_one(producer, topic, tag_a ? "TagA" : "TagB", tag_a && i == 0 ? RETRIED_KEY : "plain", body))
      return 1;
  }
  /* The other ways to send, each with one more TagA message: asynchronous, ordered to a chosen
     queue, and a batch of two. */
  CMessage* async_msg = CreateMessage(topic);
  SetMessageTags(async_msg, "TagA");
  SetMessageKeys(async_msg, "plain");
  SetMessageBody(async_msg, "async");
  if (!check(SendAsync(producer, async_msg, on_sent, on_send_failed, &async_ok), "SendAsync")) return 1;
  CMessage* ordered = CreateMessage(topic);
  SetMessageTags(ordered, "TagA");
  SetMessageKeys(ordered, "plain");
  SetMessageBody(ordered, "ordered");
  CSendResult ordered_result;
  if (!check(SendMessageOrderly(producer, ordered, first_queue, NULL, 1, &ordered_result),
             "SendMessageOrderly"))
    return 1;
  DestroyMessage(ordered);
  CBatchMessage* batch = CreateBatchMessage();
  for (int i = 0; i < 2; ++i) {
    CMessage* part = CreateMessage(topic);
    SetMessageTags(part, "TagA");
    SetMessageKeys(part, "plain");
    SetMessageBody(part, i == 0 ? "batch 0" : "batch 1");
    AddMessage(batch, part);
    DestroyMessage(part);
  }
  CSendResult batch_result;
  if (!check(SendBatchMessage(producer, batch, &batch_result), "SendBatchMessage")) return 1;
  DestroyBatchMessage(batch);
  printf("sent %d messages (%d TagA, %d TagB), then 4 more TagA (async, ordered, a batch of 2)\n",
         2 * per_tag, per_tag, per_tag);

  /* The first retry comes back after the broker's first delay level (10 s by default). */
  const int expected = per_tag - 1 + 4;
  deadline = now() + 90;
  while (now() < deadline && !(atomic_load(&received) >= expected && atomic_load(&retry_again) >= 1))
    pause_briefly();
  ShutdownProducer(producer); /* waits for the asynchronous send's callback */
  DestroyProducer(producer);
  DestroyMessage(async_msg);
  ShutdownPushConsumer(consumer_handle);
  DestroyPushConsumer(consumer_handle);

  printf(
      "received %d of %d TagA messages, retried message: %d first and %d second deliveries, "
      "TagB received %d, wrong handle %d, async sends %d ok %d failed\n",
      atomic_load(&received), expected, atomic_load(&retry_first), atomic_load(&retry_again),
      atomic_load(&wrong_tag), atomic_load(&wrong_handle), atomic_load(&async_ok),
      atomic_load(&async_failed));
  /* At least once: a message may come twice (a rebalance), never not at all. */
  const int ok = atomic_load(&received) >= expected && atomic_load(&retry_first) >= 1 &&
                 atomic_load(&retry_again) >= 1 && atomic_load(&wrong_tag) == 0 &&
                 atomic_load(&wrong_handle) == 0 && atomic_load(&async_ok) == 1;
  puts(ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
