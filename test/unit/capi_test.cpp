// The C API without a broker: handles, getters and their string lifetimes, error reporting, the
// order of setters, and the functions that say NOT_SUPPORT_NOW. The cluster tests are in test/capi/.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rocketmq/CBatchMessage.h"
#include "rocketmq/CErrorMessage.h"
#include "rocketmq/CMessage.h"
#include "rocketmq/CMessageExt.h"
#include "rocketmq/CProducer.h"
#include "rocketmq/CPullConsumer.h"
#include "protocol/message_decoder.h"
#include "rocketmq/CPushConsumer.h"
#include "support/fake_broker.h"
#include "support/test_env.h"

namespace {

std::string error_text() { return GetLatestErrorMessage(); }

int on_message(CPushConsumer*, CMessageExt*) { return E_CONSUME_SUCCESS; }

}  // namespace

TEST_CASE("CMessage setters and getters, strings living as long as the message", "[capi]") {
  CMessage* msg = CreateMessage("TopicA");
  REQUIRE(msg != nullptr);
  CHECK(SetMessageTags(msg, "TagA") == OK);
  CHECK(SetMessageKeys(msg, "k1 k2") == OK);
  CHECK(SetMessageBody(msg, "hello") == OK);
  CHECK(SetMessageProperty(msg, "color", "blue") == OK);
  CHECK(SetDelayTimeLevel(msg, 3) == OK);

  const char* tags = GetOriginMessageTags(msg);
  const char* color = GetOriginMessageProperty(msg, "color");
  CHECK(std::string(GetOriginMessageTopic(msg)) == "TopicA");
  CHECK(std::string(GetOriginMessageKeys(msg)) == "k1 k2");
  CHECK(std::string(GetOriginMessageBody(msg)) == "hello");
  CHECK(std::string(GetOriginMessageProperty(msg, "absent")).empty());
  CHECK(GetOriginDelayTimeLevel(msg) == 3);
  // Earlier results stay valid after other getters ran.
  CHECK(std::string(tags) == "TagA");
  CHECK(std::string(color) == "blue");
  CHECK(GetOriginMessageTags(msg) == tags);

  // The CMessageExt getters accept a CMessage (the Python wrapper calls them on one).
  auto* as_ext = reinterpret_cast<CMessageExt*>(msg);
  CHECK(std::string(GetMessageTopic(as_ext)) == "TopicA");
  CHECK(std::string(GetMessageTags(as_ext)) == "TagA");
  CHECK(std::string(GetMessageKeys(as_ext)) == "k1 k2");
  CHECK(std::string(GetMessageBody(as_ext)) == "hello");
  CHECK(std::string(GetMessageProperty(as_ext, "color")) == "blue");
  CHECK(GetMessageDelayTimeLevel(as_ext) == 3);
  CHECK(GetMessageReconsumeTimes(as_ext) == 0);

  // Bytes with NULs, and reserved property names stored as given (the older client's behaviour).
  CHECK(SetByteMessageBody(msg, "a\0b", 3) == OK);
  CHECK(GetOriginMessageBodyLength(msg) == 3);
  CHECK(GetMessageBodyLength(as_ext) == 3);
  CHECK(SetMessageProperty(msg, "KEYS", "k3") == OK);
  CHECK(std::string(GetOriginMessageKeys(msg)) == "k3");
  CHECK(SetMessageTopic(msg, "TopicB") == OK);
  CHECK(std::string(GetOriginMessageTopic(msg)) == "TopicB");
  CHECK(DestroyMessage(msg) == OK);
}

TEST_CASE("C API failures return their status and set the thread's latest error", "[capi]") {
  CHECK(SetMessageTags(nullptr, "x") == NULL_POINTER);
  CHECK(error_text().find("SetMessageTags") != std::string::npos);
  CHECK(GetOriginMessageTopic(nullptr) == nullptr);

  CMessage* msg = CreateMessage("T");
  CHECK(SetMessageTags(msg, nullptr) == NULL_POINTER);
  CHECK(SetDelayTimeLevel(msg, -1) == NULL_POINTER);
  CHECK(error_text().find("delay level") != std::string::npos);
  CHECK(SetMessageProperty(msg, "a\x01", "v") == NULL_POINTER);

  // A handle of another kind is refused, not misread.
  CProducer* producer = CreateProducer("capi_unit_group");
  REQUIRE(producer != nullptr);
  CHECK(SetMessageTags(reinterpret_cast<CMessage*>(producer), "x") == NULL_POINTER);
  CHECK(error_text().find("expected type") != std::string::npos);

  // Thread-local: another thread's failure does not show here, nor ours there.
  CHECK(SetProducerGroupName(producer, nullptr) == NULL_POINTER);
  const std::string mine = error_text();
  std::string theirs_before;
  std::string theirs_after;
  std::thread other([&] {
    theirs_before = GetLatestErrorMessage();
    SetPushConsumerThreadCount(nullptr, 1);
    theirs_after = GetLatestErrorMessage();
  });
  other.join();
  CHECK(theirs_before.empty());
  CHECK(theirs_after.find("SetPushConsumerThreadCount") != std::string::npos);
  CHECK(error_text() == mine);
  CHECK(DestroyProducer(producer) == OK);
  CHECK(DestroyMessage(msg) == OK);
}

TEST_CASE("C producer: setters in any order, refused values and sends before start", "[capi]") {
  CProducer* producer = CreateOrderlyProducer("capi_unit_group");
  REQUIRE(producer != nullptr);
  CHECK(SetProducerSendMsgTimeout(producer, 5000) == OK);
  CHECK(SetProducerCompressLevel(producer, 9) == OK);
  CHECK(SetProducerMaxMessageSize(producer, 1024 * 1024) == OK);
  CHECK(SetProducerInstanceName(producer, "capi") == OK);
  CHECK(SetProducerGroupName(producer, "capi_unit_group2") == OK);
  CHECK(SetProducerNameServerAddress(producer, "127.0.0.1:1") == OK);
  CHECK(SetProducerSessionCredentials(producer, "ak", "sk", "ALIYUN") == OK);
  CHECK(SetProducerLogLevel(producer, E_LOG_LEVEL_WARN) == OK);
  CHECK(SetProducerMessageTrace(producer, CLOSE) == OK);

  CHECK(SetProducerCompressLevel(producer, 42) == PRODUCER_START_FAILED);
  CHECK(error_text().find("compress") != std::string::npos);
  CHECK(SetProducerSendMsgTimeout(producer, -1) == PRODUCER_START_FAILED);
  CHECK(SetProducerLogLevel(producer, static_cast<CLogLevel>(99)) == PRODUCER_START_FAILED);

  CHECK(SetProducerNameServerDomain(producer, "example.org") == NOT_SUPPORT_NOW);
  CHECK(error_text().find("NOT_SUPPORT_NOW") != std::string::npos);
  CHECK(SetProducerMessageTrace(producer, OPEN) == NOT_SUPPORT_NOW);
  CHECK(SetProducerLogPath(producer, "/tmp") == NOT_SUPPORT_NOW);
  CHECK(SetProducerSslPropertyFile(producer, "/tmp/tls.properties") == NOT_SUPPORT_NOW);

  CMessage* msg = CreateMessage("TopicA");
  CSendResult result;
  CHECK(SendMessageSync(producer, msg, &result) == PRODUCER_SEND_SYNC_FAILED);
  CHECK(error_text().find("not started") != std::string::npos);
  CHECK(SendMessageOneway(producer, msg) == PRODUCER_SEND_ONEWAY_FAILED);
  CHECK(SendMessageOrderlyByShardingKey(producer, msg, "k", &result) == PRODUCER_SEND_ORDERLY_FAILED);
  CHECK(SendMessageSync(producer, msg, nullptr) == NULL_POINTER);
  CHECK(SendMessageOrderlyAsync(producer, msg, nullptr, nullptr, nullptr, nullptr) == NOT_SUPPORT_NOW);
  CHECK(SendMessageTransaction(producer, msg, nullptr, nullptr, &result) == NOT_SUPPORT_NOW);
  CHECK(std::string(ShowProducerVersion(producer)).find("rocketmq-cpp") == 0);
  CHECK(ShutdownProducer(producer) == OK);  // never started: nothing to stop
  CHECK(DestroyMessage(msg) == OK);
  CHECK(DestroyProducer(producer) == OK);

  CHECK(CreateTransactionProducer("g", nullptr, nullptr) == nullptr);
  CHECK(error_text().find("NOT_SUPPORT_NOW") != std::string::npos);
  CHECK(CreateProducer(nullptr) == nullptr);
}

TEST_CASE("C producer: a start that fails says why", "[capi]") {
  CProducer* producer = CreateProducer("capi_unit_group");
  CHECK(StartProducer(producer) == PRODUCER_START_FAILED);  // no name server address
  CHECK(error_text().find("StartProducer") != std::string::npos);
  CHECK(DestroyProducer(producer) == OK);
}

TEST_CASE("C batch message copies what is added", "[capi]") {
  CBatchMessage* batch = CreateBatchMessage();
  CMessage* msg = CreateMessage("TopicA");
  CHECK(AddMessage(batch, msg) == OK);
  CHECK(DestroyMessage(msg) == OK);  // the batch holds its own copy
  CHECK(AddMessage(batch, nullptr) == NULL_POINTER);
  CHECK(DestroyBatchMessage(batch) == OK);
}

TEST_CASE("C push consumer: start needs a callback and a subscription, settings before start", "[capi]") {
  CPushConsumer* consumer = CreatePushConsumer("capi_unit_group");
  REQUIRE(consumer != nullptr);
  CHECK(std::string(GetPushConsumerGroupID(consumer)) == "capi_unit_group");
  CHECK(SetPushConsumerGroupID(consumer, "capi_unit_group2") == OK);
  CHECK(std::string(GetPushConsumerGroupID(consumer)) == "capi_unit_group2");
  CHECK(SetPushConsumerNameServerAddress(consumer, "127.0.0.1:1") == OK);
  CHECK(SetPushConsumerThreadCount(consumer, 2) == OK);
  CHECK(SetPushConsumerThreadCount(consumer, 100) == OK);
  CHECK(SetPushConsumerThreadCount(consumer, 0) == PUSHCONSUMER_START_FAILED);
  CHECK(SetPushConsumerMessageBatchMaxSize(consumer, 4) == OK);
  CHECK(SetPushConsumerMessageModel(consumer, BROADCASTING) == OK);
  CHECK(SetPushConsumerMessageModel(consumer, CLUSTERING) == OK);
  CHECK(SetPushConsumerMaxCacheMessageSize(consumer, 500) == OK);
  CHECK(SetPushConsumerMaxCacheMessageSizeInMb(consumer, 64) == OK);
  CHECK(SetPushConsumerInstanceName(consumer, "capi") == OK);
  CHECK(SetPushConsumerNameServerDomain(consumer, "example.org") == NOT_SUPPORT_NOW);
  CHECK(SetPushConsumerMessageTrace(consumer, OPEN) == NOT_SUPPORT_NOW);
  CHECK(SetPushConsumerMessageTrace(consumer, CLOSE) == OK);

  CHECK(StartPushConsumer(consumer) == PUSHCONSUMER_START_FAILED);
  CHECK(error_text().find("callback") != std::string::npos);
  CHECK(RegisterMessageCallback(consumer, on_message) == OK);
  CHECK(RegisterMessageCallbackOrderly(consumer, on_message) == OK);  // last wins
  CHECK(UnregisterMessageCallback(consumer) == OK);  // the concurrent one is gone already: no change
  CHECK(StartPushConsumer(consumer) == PUSHCONSUMER_START_FAILED);
  CHECK(error_text().find("Subscribe") != std::string::npos);
  CHECK(Subscribe(consumer, "TopicA", "a || b") == OK);
  CHECK(Subscribe(consumer, "TopicA", "c") == OK);  // last wins
  CHECK(Subscribe(consumer, nullptr, "c") == NULL_POINTER);
  CHECK(UnregisterMessageCallbackOrderly(consumer) == OK);
  CHECK(StartPushConsumer(consumer) == PUSHCONSUMER_START_FAILED);
  CHECK(error_text().find("callback") != std::string::npos);
  CHECK(ShutdownPushConsumer(consumer) == OK);
  CHECK(DestroyPushConsumer(consumer) == OK);
}

TEST_CASE("C pull consumer: not supported, and saying so", "[capi]") {
  CHECK(CreatePullConsumer("g") == nullptr);
  CHECK(error_text().find("NOT_SUPPORT_NOW") != std::string::npos);
  CHECK(StartPullConsumer(nullptr) == NOT_SUPPORT_NOW);
  CMessageQueue* queues = reinterpret_cast<CMessageQueue*>(1);
  int size = 7;
  CHECK(FetchSubscriptionMessageQueues(nullptr, "T", &queues, &size) == NOT_SUPPORT_NOW);
  CHECK(queues == nullptr);
  CHECK(size == 0);
  const CPullResult result = Pull(nullptr, nullptr, "*", 0, 32);
  CHECK(result.pullStatus == E_BROKER_TIMEOUT);
  CHECK(result.size == 0);
  CHECK(result.msgFoundList == nullptr);
}

namespace {

// What the orderly callback saw, per queue: the offsets in call order, and overlapping calls.
struct OrderlySeen {
  std::mutex mutex;
  CPushConsumer* handle = nullptr;
  std::map<int, std::vector<long long>> offsets;
  std::map<int, int> in_flight;
  int overlaps = 0;
  int wrong_handle = 0;
  int total = 0;
};
OrderlySeen g_orderly_seen;

int on_orderly_message(CPushConsumer* consumer, CMessageExt* msg) {
  const int queue = GetMessageQueueId(msg);
  {
    std::lock_guard<std::mutex> lock(g_orderly_seen.mutex);
    if (consumer != g_orderly_seen.handle) ++g_orderly_seen.wrong_handle;
    if (++g_orderly_seen.in_flight[queue] > 1) ++g_orderly_seen.overlaps;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2));  // an overlapping call would show
  std::lock_guard<std::mutex> lock(g_orderly_seen.mutex);
  g_orderly_seen.offsets[queue].push_back(GetMessageQueueOffset(msg));
  --g_orderly_seen.in_flight[queue];
  ++g_orderly_seen.total;
  return E_CONSUME_SUCCESS;
}

}  // namespace

// RegisterMessageCallbackOrderly end to end through the orderly consume service, against a fake
// broker (a name server and broker in one test peer that grants every queue lock).
TEST_CASE("C push consumer: the orderly callback gets each queue in offset order, one call at a time",
          "[capi][fake-broker]") {
  const std::string topic = "TopicCOrderly";
  rocketmq::test::FakeBroker broker(2, "broker-a");
  for (int queue_id = 0; queue_id < 2; ++queue_id) {
    for (int offset = 0; offset < 10; ++offset) {
      broker.add_record(topic, queue_id, offset,
                        rocketmq::protocol::encode_stored_message(rocketmq::test::FakeBroker::message(
                            topic, queue_id, offset, "q" + std::to_string(queue_id) + "-" + std::to_string(offset))));
    }
  }
  CPushConsumer* consumer = CreatePushConsumer("capi_orderly_group");
  REQUIRE(consumer != nullptr);
  {
    std::lock_guard<std::mutex> lock(g_orderly_seen.mutex);
    g_orderly_seen.handle = consumer;
  }
  CHECK(SetPushConsumerNameServerAddress(consumer, broker.address().c_str()) == OK);
  CHECK(Subscribe(consumer, topic.c_str(), "*") == OK);
  CHECK(RegisterMessageCallbackOrderly(consumer, on_orderly_message) == OK);
  REQUIRE(StartPushConsumer(consumer) == OK);
  CHECK(rocketmq::test::wait_until(
      [] {
        std::lock_guard<std::mutex> lock(g_orderly_seen.mutex);
        return g_orderly_seen.total >= 20;
      },
      std::chrono::seconds(30)));
  CHECK(ShutdownPushConsumer(consumer) == OK);
  CHECK(DestroyPushConsumer(consumer) == OK);

  std::lock_guard<std::mutex> lock(g_orderly_seen.mutex);
  const std::vector<long long> in_order{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  CHECK(g_orderly_seen.offsets[0] == in_order);
  CHECK(g_orderly_seen.offsets[1] == in_order);
  CHECK(g_orderly_seen.overlaps == 0);
  CHECK(g_orderly_seen.wrong_handle == 0);
}
