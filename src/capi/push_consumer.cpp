// CPushConsumer.h over rocketmq::PushConsumer.
#include <memory>
#include <utility>
#include <vector>

#include "capi/message_ext_handle.h"
#include "capi/push_consumer_handle.h"
#include "rocketmq/CPushConsumer.h"
#include "rocketmq/message_listener.h"

namespace rocketmq::capi {

PushConsumerHandle::~PushConsumerHandle() = default;

namespace {

PushConsumerHandle* consumer_of(CPushConsumer* consumer, const char* function) {
  return cast_handle<PushConsumerHandle>(consumer, function);
}

// Calls the C callback once per message of the batch, with the handle the application created.
// A batch (SetPushConsumerMessageBatchMaxSize above 1) is handed back whole when any message of
// it asked to be reconsumed, as the older client did; with the default batch of 1 that is exactly
// the message that asked.
ConsumeResult deliver(CPushConsumer* consumer, MessageCallBack callback,
                      const std::vector<MessageExt>& messages) {
  ConsumeResult result = ConsumeResult::Success;
  for (const auto& message : messages) {
    MessageExtHandle handle(message);
    const int status = callback(consumer, reinterpret_cast<CMessageExt*>(static_cast<Handle*>(&handle)));
    handle.mark_dead();  // a pointer kept past the call is a bug; this makes it likelier to be caught
    if (status != E_CONSUME_SUCCESS) result = ConsumeResult::ReconsumeLater;
  }
  return result;
}

// The listener RegisterMessageCallback (Base = MessageListenerConcurrently) or
// RegisterMessageCallbackOrderly (MessageListenerOrderly) installs.
template <typename Base>
class CallbackListener : public Base {
 public:
  CallbackListener(CPushConsumer* consumer, MessageCallBack callback)
      : consumer_(consumer), callback_(callback) {}
  ConsumeResult consume_message(const std::vector<MessageExt>& messages) override {
    return deliver(consumer_, callback_, messages);
  }

 private:
  CPushConsumer* consumer_;
  MessageCallBack callback_;
};

// A setter's frame: under the lock, before StartPushConsumer only; refused values reported.
template <typename Body>
int configure(CPushConsumer* consumer, const char* function, std::initializer_list<const char*> texts,
              Body&& body) {
  return configure_handle<PushConsumerHandle>(consumer, function, texts, PUSHCONSUMER_START_FAILED,
                                              "the consumer is started: set options before StartPushConsumer",
                                              std::forward<Body>(body));
}

}  // namespace
}  // namespace rocketmq::capi

using namespace rocketmq;
using namespace rocketmq::capi;

extern "C" CPushConsumer* CreatePushConsumer(const char* groupId) {
  if (groupId == nullptr) {
    fail(NULL_POINTER, "CreatePushConsumer", "groupId is NULL");
    return nullptr;
  }
  try {
    auto handle = std::make_unique<PushConsumerHandle>();
    handle->option.set_group_name(groupId);
    return reinterpret_cast<CPushConsumer*>(static_cast<Handle*>(handle.release()));
  } catch (...) {
    fail_current(PUSHCONSUMER_START_FAILED, "CreatePushConsumer");
    return nullptr;
  }
}

extern "C" int DestroyPushConsumer(CPushConsumer* consumer) {
  auto* handle = consumer_of(consumer, "DestroyPushConsumer");
  if (handle == nullptr) return NULL_POINTER;
  std::unique_ptr<PushConsumer> running;
  {
    std::lock_guard<std::mutex> lock(handle->mutex);
    running = std::move(handle->consumer);
    handle->started = false;
  }
  int status = OK;
  try {
    running.reset();  // shuts down: no callback runs after this
  } catch (...) {
    status = fail_current(PUSHCONSUMER_START_FAILED, "DestroyPushConsumer");
  }
  handle->mark_dead();
  delete handle;
  return status;
}

extern "C" int StartPushConsumer(CPushConsumer* consumer) {
  auto* handle = consumer_of(consumer, "StartPushConsumer");
  if (handle == nullptr) return NULL_POINTER;
  std::lock_guard<std::mutex> lock(handle->mutex);
  if (handle->started)
    return fail(PUSHCONSUMER_START_FAILED, "StartPushConsumer", "the consumer is started already");
  if (handle->callback == nullptr) {
    return fail(PUSHCONSUMER_START_FAILED, "StartPushConsumer",
                "no message callback registered (RegisterMessageCallback or RegisterMessageCallbackOrderly)");
  }
  if (handle->subscriptions.empty()) {
    return fail(PUSHCONSUMER_START_FAILED, "StartPushConsumer", "no topic subscribed (Subscribe)");
  }
  try {
    auto started = std::make_unique<PushConsumer>(handle->option);
    for (const auto& [topic, expression] : handle->subscriptions) started->subscribe(topic, expression);
    if (handle->orderly) {
      started->register_message_listener(
          std::make_unique<CallbackListener<MessageListenerOrderly>>(consumer, handle->callback));
    } else {
      started->register_message_listener(
          std::make_unique<CallbackListener<MessageListenerConcurrently>>(consumer, handle->callback));
    }
    started->start();
    handle->consumer = std::move(started);
    handle->started = true;
    return OK;
  } catch (...) {
    return fail_current(PUSHCONSUMER_START_FAILED, "StartPushConsumer");
  }
}

// Lets callbacks in flight finish, commits offsets. Not from inside a callback. StartPushConsumer
// may follow and starts a new consumer with the same settings.
extern "C" int ShutdownPushConsumer(CPushConsumer* consumer) {
  auto* handle = consumer_of(consumer, "ShutdownPushConsumer");
  if (handle == nullptr) return NULL_POINTER;
  std::unique_ptr<PushConsumer> running;
  {
    std::lock_guard<std::mutex> lock(handle->mutex);
    running = std::move(handle->consumer);
    handle->started = false;
  }
  if (!running) return OK;  // never started: nothing to stop, as with the older client
  try {
    running->shutdown();
    return OK;
  } catch (...) {
    return fail_current(PUSHCONSUMER_START_FAILED, "ShutdownPushConsumer");
  }
}

extern "C" const char* ShowPushConsumerVersion(CPushConsumer* consumer) {
  return show_version<PushConsumerHandle>(consumer, "ShowPushConsumerVersion");
}

extern "C" int SetPushConsumerGroupID(CPushConsumer* consumer, const char* groupId) {
  return configure(consumer, "SetPushConsumerGroupID", {groupId},
                   [&](PushConsumerHandle& h) { h.option.set_group_name(groupId); });
}

extern "C" const char* GetPushConsumerGroupID(CPushConsumer* consumer) {
  auto* handle = consumer_of(consumer, "GetPushConsumerGroupID");
  if (handle == nullptr) return nullptr;
  std::lock_guard<std::mutex> lock(handle->mutex);
  if (handle->group != handle->option.group_name()) handle->group = handle->option.group_name();
  return handle->group.c_str();
}

extern "C" int SetPushConsumerNameServerAddress(CPushConsumer* consumer, const char* namesrv) {
  return configure(consumer, "SetPushConsumerNameServerAddress", {namesrv},
                   [&](PushConsumerHandle& h) { h.option.set_name_server_addr(namesrv); });
}

extern "C" int SetPushConsumerNameServerDomain(CPushConsumer* consumer, const char* domain) {
  return not_supported<PushConsumerHandle>(
      consumer, "SetPushConsumerNameServerDomain",
      "name server look-up by domain is not supported (NOT_SUPPORT_NOW): use "
      "SetPushConsumerNameServerAddress");
}

// Before or after StartPushConsumer: a started consumer subscribes at once.
extern "C" int Subscribe(CPushConsumer* consumer, const char* topic, const char* expression) {
  auto* handle = consumer_of(consumer, "Subscribe");
  if (handle == nullptr) return NULL_POINTER;
  if (topic == nullptr) return fail(NULL_POINTER, "Subscribe", "topic is NULL");
  const std::string tags = expression == nullptr || *expression == '\0' ? "*" : expression;
  std::lock_guard<std::mutex> lock(handle->mutex);
  try {
    if (handle->consumer) handle->consumer->subscribe(topic, tags);
    handle->subscriptions[topic] = tags;
    return OK;
  } catch (...) {
    return fail_current(PUSHCONSUMER_START_FAILED, "Subscribe");
  }
}

extern "C" int RegisterMessageCallbackOrderly(CPushConsumer* consumer, MessageCallBack pCallback) {
  if (pCallback == nullptr) return fail(NULL_POINTER, "RegisterMessageCallbackOrderly", "callback is NULL");
  return configure(consumer, "RegisterMessageCallbackOrderly", {}, [&](PushConsumerHandle& h) {
    h.callback = pCallback;
    h.orderly = true;
  });
}

extern "C" int RegisterMessageCallback(CPushConsumer* consumer, MessageCallBack pCallback) {
  if (pCallback == nullptr) return fail(NULL_POINTER, "RegisterMessageCallback", "callback is NULL");
  return configure(consumer, "RegisterMessageCallback", {}, [&](PushConsumerHandle& h) {
    h.callback = pCallback;
    h.orderly = false;
  });
}

extern "C" int UnregisterMessageCallbackOrderly(CPushConsumer* consumer) {
  return configure(consumer, "UnregisterMessageCallbackOrderly", {}, [&](PushConsumerHandle& h) {
    if (h.orderly) h.callback = nullptr;
  });
}

extern "C" int UnregisterMessageCallback(CPushConsumer* consumer) {
  return configure(consumer, "UnregisterMessageCallback", {}, [&](PushConsumerHandle& h) {
    if (!h.orderly) h.callback = nullptr;
  });
}

// A fixed pool of threadCount consume threads, as the older client had.
extern "C" int SetPushConsumerThreadCount(CPushConsumer* consumer, int threadCount) {
  return configure(consumer, "SetPushConsumerThreadCount", {}, [&](PushConsumerHandle& h) {
    ConsumerOption option = h.option;  // both or neither
    if (threadCount > option.consume_thread_max()) {
      option.set_consume_thread_max(threadCount);
      option.set_consume_thread_min(threadCount);
    } else {
      option.set_consume_thread_min(threadCount);
      option.set_consume_thread_max(threadCount);
    }
    h.option = std::move(option);
  });
}

extern "C" int SetPushConsumerMessageBatchMaxSize(CPushConsumer* consumer, int batchSize) {
  return configure(consumer, "SetPushConsumerMessageBatchMaxSize", {},
                   [&](PushConsumerHandle& h) { h.option.set_consume_batch_size(batchSize); });
}

extern "C" int SetPushConsumerInstanceName(CPushConsumer* consumer, const char* instanceName) {
  return configure(consumer, "SetPushConsumerInstanceName", {instanceName},
                   [&](PushConsumerHandle& h) { h.option.set_instance_name(instanceName); });
}

// The channel has no counterpart in the ACL signature and is ignored.
extern "C" int SetPushConsumerSessionCredentials(CPushConsumer* consumer, const char* accessKey,
                                                 const char* secretKey, const char* channel) {
  return configure(consumer, "SetPushConsumerSessionCredentials", {accessKey, secretKey},
                   [&](PushConsumerHandle& h) { h.option.set_credentials(accessKey, secretKey); });
}

extern "C" int SetPushConsumerLogPath(CPushConsumer* consumer, const char* logPath) {
  return not_supported<PushConsumerHandle>(
      consumer, "SetPushConsumerLogPath",
      "log files are not supported (NOT_SUPPORT_NOW): the library logs to stderr or to the "
      "handler of rocketmq::set_log_handler");
}

extern "C" int SetPushConsumerLogFileNumAndSize(CPushConsumer* consumer, int fileNum, long fileSize) {
  return not_supported<PushConsumerHandle>(
      consumer, "SetPushConsumerLogFileNumAndSize",
      "log files are not supported (NOT_SUPPORT_NOW): the library logs to stderr or to the "
      "handler of rocketmq::set_log_handler");
}

extern "C" int SetPushConsumerLogLevel(CPushConsumer* consumer, CLogLevel level) {
  return set_log_level_of<PushConsumerHandle>(consumer, "SetPushConsumerLogLevel", level,
                                              PUSHCONSUMER_START_FAILED);
}

extern "C" int SetPushConsumerMessageModel(CPushConsumer* consumer, CMessageModel messageModel) {
  return configure(consumer, "SetPushConsumerMessageModel", {}, [&](PushConsumerHandle& h) {
    switch (messageModel) {
      case BROADCASTING:
        h.option.set_message_model(MessageModel::Broadcasting);
        return;
      case CLUSTERING:
        h.option.set_message_model(MessageModel::Clustering);
        return;
    }
    throw ClientError("message model " + std::to_string(static_cast<int>(messageModel)) +
                      " is neither BROADCASTING (0) nor CLUSTERING (1)");
  });
}

extern "C" int SetPushConsumerMaxCacheMessageSize(CPushConsumer* consumer, int maxCacheSize) {
  return configure(consumer, "SetPushConsumerMaxCacheMessageSize", {},
                   [&](PushConsumerHandle& h) { h.option.set_process_queue_size(maxCacheSize); });
}

extern "C" int SetPushConsumerMaxCacheMessageSizeInMb(CPushConsumer* consumer, int maxCacheSizeInMb) {
  return configure(consumer, "SetPushConsumerMaxCacheMessageSizeInMb", {}, [&](PushConsumerHandle& h) {
    h.option.set_process_queue_bytes(static_cast<std::int64_t>(maxCacheSizeInMb) * 1024 * 1024);
  });
}

extern "C" int SetPushConsumerMessageTrace(CPushConsumer* consumer, CTraceModel openTrace) {
  if (consumer_of(consumer, "SetPushConsumerMessageTrace") == nullptr) return NULL_POINTER;
  if (openTrace == CLOSE) return OK;  // tracing is off, as asked
  return fail(NOT_SUPPORT_NOW, "SetPushConsumerMessageTrace",
              "message trace is not supported (NOT_SUPPORT_NOW)");
}

extern "C" int SetPushConsumerSsl(CPushConsumer* consumer, int enableSsl) {
  return configure(consumer, "SetPushConsumerSsl", {},
                   [&](PushConsumerHandle& h) { h.option.set_tls_enabled(enableSsl != 0); });
}

extern "C" int SetPushConsumerSslPropertyFile(CPushConsumer* consumer, const char* sslPropertyFile) {
  return not_supported<PushConsumerHandle>(
      consumer, "SetPushConsumerSslPropertyFile",
      "TLS property files are not supported (NOT_SUPPORT_NOW): SetPushConsumerSsl(consumer, 1) "
      "verifies brokers against the system's trust store");
}
