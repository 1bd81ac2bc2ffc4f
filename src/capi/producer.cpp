// CProducer.h over rocketmq::Producer.
#include <chrono>
#include <exception>

#include "capi/batch_message_handle.h"
#include "capi/message_handle.h"
#include "capi/producer_handle.h"
#include "rocketmq/CProducer.h"
#include "rocketmq/logging.h"

namespace rocketmq::capi {

ProducerHandle::~ProducerHandle() = default;

std::shared_ptr<Producer> ProducerHandle::running(const char* function) {
  std::lock_guard<std::mutex> lock(mutex);
  if (!started || !producer) {
    fail(PRODUCER_START_FAILED, function, "the producer is not started (call StartProducer first)");
    return nullptr;
  }
  return producer;
}

namespace {

ProducerHandle* producer_of(CProducer* producer, const char* function) {
  return cast_handle<ProducerHandle>(producer, function);
}

// A setter's frame: the option is changed under the lock, before StartProducer only (the started
// Producer copied the options), and a value the C++ API refuses is reported with its text.
template <typename Body>
int configure(CProducer* producer, const char* function, std::initializer_list<const char*> texts,
              Body&& body) {
  return configure_handle<ProducerHandle>(producer, function, texts, PRODUCER_START_FAILED,
                                          "the producer is started: set options before StartProducer",
                                          [&](ProducerHandle& handle) { body(handle.option); });
}

CProducer* create(const char* group, bool orderly, const char* function) {
  if (group == nullptr) {
    fail(NULL_POINTER, function, "groupId is NULL");
    return nullptr;
  }
  try {
    auto handle = std::make_unique<ProducerHandle>();
    handle->option.set_group_name(group);
    handle->orderly = orderly;
    return reinterpret_cast<CProducer*>(static_cast<Handle*>(handle.release()));
  } catch (...) {
    fail_current(NULL_POINTER, function);
    return nullptr;
  }
}

void fill(CSendResult* target, const SendResult& result) {
  target->sendStatus = static_cast<CSendStatus>(static_cast<int>(result.status));
  copy_text(target->msgId, result.msg_id);
  target->offset = result.queue_offset;
}

CSendResult to_c(const SendResult& result) {
  CSendResult converted{};
  fill(&converted, result);
  return converted;
}

CMQException to_c(const std::exception_ptr& error, int status) {
  CMQException converted{};
  converted.error = status;
  try {
    std::rethrow_exception(error);
  } catch (const BrokerError& broker) {
    converted.error = broker.response_code();
    copy_text(converted.msg, broker.what());
  } catch (const std::exception& other) {
    copy_text(converted.msg, other.what());
  } catch (...) {
    copy_text(converted.msg, "unknown error");
  }
  copy_text(converted.file, "");
  copy_text(converted.type, exception_type(error));
  return converted;
}

// The caller's selector as a MessageQueueSelector: it picks an index among `size` queues.
MessageQueueSelector c_selector(QueueSelectorCallback callback, CMessage* msg, void* arg) {
  return [callback, msg, arg](const std::vector<MessageQueue>& queues, const Message&, const std::string&) {
    if (queues.empty()) throw ClientError("the topic has no writable queue");
    const int index = callback(static_cast<int>(queues.size()), msg, arg);
    if (index < 0 || static_cast<std::size_t>(index) >= queues.size()) {
      throw ClientError("the queue selector returned " + std::to_string(index) + ", not an index in 0.." +
                        std::to_string(queues.size() - 1));
    }
    return queues[static_cast<std::size_t>(index)];
  };
}

LogLevel to_log_level(CLogLevel level) {
  switch (level) {
    case E_LOG_LEVEL_FATAL:
    case E_LOG_LEVEL_ERROR:
      return LogLevel::Error;
    case E_LOG_LEVEL_WARN:
      return LogLevel::Warn;
    case E_LOG_LEVEL_INFO:
      return LogLevel::Info;
    case E_LOG_LEVEL_DEBUG:
      return LogLevel::Debug;
    case E_LOG_LEVEL_TRACE:
      return LogLevel::Trace;
    default:
      throw ClientError("log level " + std::to_string(static_cast<int>(level)) +
                        " is not one of E_LOG_LEVEL_FATAL (1) .. E_LOG_LEVEL_TRACE (6)");
  }
}

}  // namespace

// Shared with the push consumer's setter: the log level is process-wide in this library.
void apply_log_level(CLogLevel level) { set_log_level(to_log_level(level)); }

}  // namespace rocketmq::capi

using namespace rocketmq;
using namespace rocketmq::capi;

// ---- lifecycle -----------------------------------------------------------------------------------

extern "C" CProducer* CreateProducer(const char* groupId) { return create(groupId, false, "CreateProducer"); }

extern "C" CProducer* CreateOrderlyProducer(const char* groupId) {
  return create(groupId, true, "CreateOrderlyProducer");
}

extern "C" CProducer* CreateTransactionProducer(const char* groupId,
                                                CLocalTransactionCheckerCallback callback, void* userData) {
  fail(NOT_SUPPORT_NOW, "CreateTransactionProducer",
       "transactional messages are not supported by rocketmq-cpp yet (NOT_SUPPORT_NOW); no producer was "
       "created");
  return nullptr;
}

extern "C" int DestroyProducer(CProducer* producer) {
  auto* handle = producer_of(producer, "DestroyProducer");
  if (handle == nullptr) return NULL_POINTER;
  std::shared_ptr<Producer> running;
  {
    std::lock_guard<std::mutex> lock(handle->mutex);
    running = std::move(handle->producer);
    handle->started = false;
  }
  int status = OK;
  if (running) {
    try {
      running->shutdown();
    } catch (...) {
      status = fail_current(PRODUCER_START_FAILED, "DestroyProducer");
    }
  }
  handle->mark_dead();
  delete handle;
  return status;
}

extern "C" int StartProducer(CProducer* producer) {
  auto* handle = producer_of(producer, "StartProducer");
  if (handle == nullptr) return NULL_POINTER;
  std::lock_guard<std::mutex> lock(handle->mutex);
  if (handle->started) return fail(PRODUCER_START_FAILED, "StartProducer", "the producer is started already");
  try {
    auto started = std::make_shared<Producer>(handle->option);
    started->start();
    handle->producer = std::move(started);
    handle->started = true;
    return OK;
  } catch (...) {
    return fail_current(PRODUCER_START_FAILED, "StartProducer");
  }
}

// Waits for asynchronous sends in flight. StartProducer may follow and starts a new producer with
// the same options.
extern "C" int ShutdownProducer(CProducer* producer) {
  auto* handle = producer_of(producer, "ShutdownProducer");
  if (handle == nullptr) return NULL_POINTER;
  std::shared_ptr<Producer> running;
  {
    std::lock_guard<std::mutex> lock(handle->mutex);
    running = handle->producer;
    handle->started = false;
  }
  if (!running) return OK;  // never started: nothing to stop, as with the older client
  try {
    running->shutdown();
    return OK;
  } catch (...) {
    return fail_current(PRODUCER_START_FAILED, "ShutdownProducer");
  }
}

extern "C" const char* ShowProducerVersion(CProducer* producer) {
  return show_version<ProducerHandle>(producer, "ShowProducerVersion");
}

// ---- options -------------------------------------------------------------------------------------

extern "C" int SetProducerNameServerAddress(CProducer* producer, const char* namesrv) {
  return configure(producer, "SetProducerNameServerAddress", {namesrv},
                   [&](ProducerOption& option) { option.set_name_server_addr(namesrv); });
}

extern "C" int SetProducerNameServerDomain(CProducer* producer, const char* domain) {
  return not_supported<ProducerHandle>(
      producer, "SetProducerNameServerDomain",
      "name server look-up by domain is not supported (NOT_SUPPORT_NOW): use SetProducerNameServerAddress");
}

extern "C" int SetProducerGroupName(CProducer* producer, const char* groupName) {
  return configure(producer, "SetProducerGroupName", {groupName},
                   [&](ProducerOption& option) { option.set_group_name(groupName); });
}

extern "C" int SetProducerInstanceName(CProducer* producer, const char* instanceName) {
  return configure(producer, "SetProducerInstanceName", {instanceName},
                   [&](ProducerOption& option) { option.set_instance_name(instanceName); });
}

// The channel (the older client's ONS channel) has no counterpart in the ACL signature and is
// ignored.
extern "C" int SetProducerSessionCredentials(CProducer* producer, const char* accessKey,
                                             const char* secretKey, const char* onsChannel) {
  return configure(producer, "SetProducerSessionCredentials", {accessKey, secretKey},
                   [&](ProducerOption& option) { option.set_credentials(accessKey, secretKey); });
}

extern "C" int SetProducerLogPath(CProducer* producer, const char* logPath) {
  return not_supported<ProducerHandle>(
      producer, "SetProducerLogPath",
      "log files are not supported (NOT_SUPPORT_NOW): the library logs to stderr or to the handler "
      "of rocketmq::set_log_handler");
}

extern "C" int SetProducerLogFileNumAndSize(CProducer* producer, int fileNum, long fileSize) {
  return not_supported<ProducerHandle>(
      producer, "SetProducerLogFileNumAndSize",
      "log files are not supported (NOT_SUPPORT_NOW): the library logs to stderr or to the handler "
      "of rocketmq::set_log_handler");
}

extern "C" int SetProducerLogLevel(CProducer* producer, CLogLevel level) {
  return set_log_level_of<ProducerHandle>(producer, "SetProducerLogLevel", level, PRODUCER_START_FAILED);
}

extern "C" int SetProducerSendMsgTimeout(CProducer* producer, int timeout) {
  return configure(producer, "SetProducerSendMsgTimeout", {}, [&](ProducerOption& option) {
    option.set_send_timeout(std::chrono::milliseconds(timeout));
  });
}

extern "C" int SetProducerCompressLevel(CProducer* producer, int level) {
  return configure(producer, "SetProducerCompressLevel", {},
                   [&](ProducerOption& option) { option.set_compress_level(level); });
}

extern "C" int SetProducerMaxMessageSize(CProducer* producer, int size) {
  return configure(producer, "SetProducerMaxMessageSize", {},
                   [&](ProducerOption& option) { option.set_max_message_size(size); });
}

extern "C" int SetProducerMessageTrace(CProducer* producer, CTraceModel openTrace) {
  if (producer_of(producer, "SetProducerMessageTrace") == nullptr) return NULL_POINTER;
  if (openTrace == CLOSE) return OK;  // tracing is off, as asked
  return fail(NOT_SUPPORT_NOW, "SetProducerMessageTrace", "message trace is not supported (NOT_SUPPORT_NOW)");
}

extern "C" int SetProducerSsl(CProducer* producer, int enableSsl) {
  return configure(producer, "SetProducerSsl", {},
                   [&](ProducerOption& option) { option.set_tls_enabled(enableSsl != 0); });
}

extern "C" int SetProducerSslPropertyFile(CProducer* producer, const char* sslPropertyFile) {
  return not_supported<ProducerHandle>(
      producer, "SetProducerSslPropertyFile",
      "TLS property files are not supported (NOT_SUPPORT_NOW): SetProducerSsl(producer, 1) verifies "
      "brokers against the system's trust store");
}

// ---- sends ---------------------------------------------------------------------------------------

namespace {

// The frame of the synchronous sends: handles checked, the producer started, errors recorded with
// the send's status code.
template <typename Send>
int send_frame(CProducer* producer, CMessage* msg, CSendResult* result, bool needs_result,
               const char* function, int status, Send&& send) {
  auto* handle = producer_of(producer, function);
  if (handle == nullptr) return NULL_POINTER;
  auto* message = cast_handle<MessageHandle>(msg, function);
  if (message == nullptr) return NULL_POINTER;
  if (needs_result && result == nullptr) return fail(NULL_POINTER, function, "result is NULL");
  auto running = handle->running(function);
  if (!running) return status;
  try {
    send(*running, message->message);
    return OK;
  } catch (...) {
    return fail_current(status, function);
  }
}

}  // namespace

extern "C" int SendMessageSync(CProducer* producer, CMessage* msg, CSendResult* result) {
  return send_frame(producer, msg, result, true, "SendMessageSync", PRODUCER_SEND_SYNC_FAILED,
                    [&](Producer& p, const Message& m) { fill(result, p.send(m)); });
}

extern "C" int SendBatchMessage(CProducer* producer, CBatchMessage* msg, CSendResult* result) {
  auto* handle = producer_of(producer, "SendBatchMessage");
  if (handle == nullptr) return NULL_POINTER;
  auto* batch = cast_handle<BatchMessageHandle>(msg, "SendBatchMessage");
  if (batch == nullptr) return NULL_POINTER;
  if (result == nullptr) return fail(NULL_POINTER, "SendBatchMessage", "result is NULL");
  auto running = handle->running("SendBatchMessage");
  if (!running) return PRODUCER_SEND_SYNC_FAILED;
  try {
    fill(result, running->send(batch->messages));
    return OK;
  } catch (...) {
    return fail_current(PRODUCER_SEND_SYNC_FAILED, "SendBatchMessage");
  }
}

extern "C" int SendMessageAsync(CProducer* producer, CMessage* msg, CSendSuccessCallback cSendSuccessCallback,
                                CSendExceptionCallback cSendExceptionCallback) {
  return send_frame(producer, msg, nullptr, false, "SendMessageAsync", PRODUCER_SEND_ASYNC_FAILED,
                    [&](Producer& p, const Message& m) {
                      p.send(m, [cSendSuccessCallback, cSendExceptionCallback](const SendResult& sent,
                                                                               std::exception_ptr error) {
                        if (!error) {
                          if (cSendSuccessCallback != nullptr) cSendSuccessCallback(to_c(sent));
                        } else if (cSendExceptionCallback != nullptr) {
                          cSendExceptionCallback(to_c(error, PRODUCER_SEND_ASYNC_FAILED));
                        }
                      });
                    });
}

extern "C" int SendAsync(CProducer* producer, CMessage* msg, COnSendSuccessCallback cSendSuccessCallback,
                         COnSendExceptionCallback cSendExceptionCallback, void* userData) {
  return send_frame(producer, msg, nullptr, false, "SendAsync", PRODUCER_SEND_ASYNC_FAILED,
                    [&](Producer& p, const Message& m) {
                      p.send(m, [cSendSuccessCallback, cSendExceptionCallback, msg, userData](
                                    const SendResult& sent, std::exception_ptr error) {
                        if (!error) {
                          if (cSendSuccessCallback != nullptr)
                            cSendSuccessCallback(to_c(sent), msg, userData);
                        } else if (cSendExceptionCallback != nullptr) {
                          cSendExceptionCallback(to_c(error, PRODUCER_SEND_ASYNC_FAILED), msg, userData);
                        }
                      });
                    });
}

extern "C" int SendMessageOneway(CProducer* producer, CMessage* msg) {
  return send_frame(producer, msg, nullptr, false, "SendMessageOneway", PRODUCER_SEND_ONEWAY_FAILED,
                    [&](Producer& p, const Message& m) { p.send_oneway(m); });
}

// The C++ API has no one-way send to a chosen queue: this sends synchronously to the selected
// queue and drops the result (slower than one-way, never less reliable).
extern "C" int SendMessageOnewayOrderly(CProducer* producer, CMessage* msg, QueueSelectorCallback selector,
                                        void* arg) {
  if (selector == nullptr) return fail(NULL_POINTER, "SendMessageOnewayOrderly", "selector is NULL");
  return send_frame(
      producer, msg, nullptr, false, "SendMessageOnewayOrderly", PRODUCER_SEND_ONEWAY_FAILED,
      [&](Producer& p, const Message& m) { p.send(m, c_selector(selector, msg, arg), std::string()); });
}

// autoRetryTimes: further attempts after a failed one, each asking the selector again.
extern "C" int SendMessageOrderly(CProducer* producer, CMessage* msg, QueueSelectorCallback callback,
                                  void* arg, int autoRetryTimes, CSendResult* result) {
  if (callback == nullptr) return fail(NULL_POINTER, "SendMessageOrderly", "callback is NULL");
  return send_frame(producer, msg, result, true, "SendMessageOrderly", PRODUCER_SEND_ORDERLY_FAILED,
                    [&](Producer& p, const Message& m) {
                      const int attempts = 1 + (autoRetryTimes > 0 ? autoRetryTimes : 0);
                      for (int attempt = 1;; ++attempt) {
                        try {
                          fill(result, p.send(m, c_selector(callback, msg, arg), std::string()));
                          return;
                        } catch (const ClientError&) {
                          throw;  // the message or the selector is wrong: another attempt fails the same way
                        } catch (...) {
                          if (attempt >= attempts) throw;
                        }
                      }
                    });
}

extern "C" int SendMessageOrderlyAsync(CProducer* producer, CMessage* msg, QueueSelectorCallback callback,
                                       void* arg, CSendSuccessCallback cSendSuccessCallback,
                                       CSendExceptionCallback cSendExceptionCallback) {
  return not_supported<ProducerHandle>(
      producer, "SendMessageOrderlyAsync",
      "asynchronous ordered sends are not supported (NOT_SUPPORT_NOW): use SendMessageOrderly");
}

extern "C" int SendMessageOrderlyByShardingKey(CProducer* producer, CMessage* msg, const char* shardingKey,
                                               CSendResult* result) {
  if (shardingKey == nullptr)
    return fail(NULL_POINTER, "SendMessageOrderlyByShardingKey", "shardingKey is NULL");
  return send_frame(
      producer, msg, result, true, "SendMessageOrderlyByShardingKey", PRODUCER_SEND_ORDERLY_FAILED,
      [&](Producer& p, const Message& m) { fill(result, p.send(m, select_queue_by_hash(), shardingKey)); });
}

extern "C" int SendMessageTransaction(CProducer* producer, CMessage* msg,
                                      CLocalTransactionExecutorCallback callback, void* userData,
                                      CSendResult* result) {
  return not_supported<ProducerHandle>(
      producer, "SendMessageTransaction",
      "transactional messages are not supported by rocketmq-cpp yet (NOT_SUPPORT_NOW); nothing was sent");
}
