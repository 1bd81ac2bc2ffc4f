// CMessage.h, CMessageExt.h, CBatchMessage.h over rocketmq::Message and rocketmq::MessageExt.
#include <charconv>
#include <limits>
#include <new>

#include "capi/batch_message_handle.h"
#include "capi/message_ext_handle.h"
#include "capi/message_handle.h"
#include "rocketmq/CBatchMessage.h"
#include "rocketmq/CMessage.h"
#include "rocketmq/CMessageExt.h"

namespace rocketmq::capi {

MessageHandle::~MessageHandle() = default;
MessageExtHandle::~MessageExtHandle() = default;
BatchMessageHandle::~BatchMessageHandle() = default;

const char* MessageHandle::keep(const std::string& slot, std::string value) {
  auto& kept = kept_[slot];
  if (kept != value) kept = std::move(value);
  return kept.c_str();
}

const char* MessageExtHandle::keep(const std::string& slot, std::string value) {
  auto& kept = kept_[slot];
  if (kept != value) kept = std::move(value);
  return kept.c_str();
}

namespace {

constexpr const char* kDelayProperty = "DELAY";

MessageHandle* message_of(CMessage* msg, const char* function) {
  return cast_handle<MessageHandle>(msg, function);
}

// A setter's common frame: the handle checked, the text arguments checked, C++ errors turned into
// NULL_POINTER (the only failure the older client's message functions report) with their text.
template <typename Body>
int set_field(CMessage* msg, const char* function, std::initializer_list<const char*> texts, Body&& body) {
  auto* handle = message_of(msg, function);
  if (handle == nullptr) return NULL_POINTER;
  for (const char* text : texts) {
    if (text == nullptr) return fail(NULL_POINTER, function, "string argument is NULL");
  }
  try {
    body(handle->message);
    return OK;
  } catch (...) {
    return fail_current(NULL_POINTER, function);
  }
}

int parse_int(const std::string& text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() ? value : 0;
}

// The handle behind a CMessageExt*: a received message, or a CMessage passed in its place.
struct Either {
  MessageExtHandle* ext = nullptr;
  MessageHandle* message = nullptr;
  explicit operator bool() const noexcept { return ext != nullptr || message != nullptr; }
};

Either either(CMessageExt* pointer, const char* function) {
  if (pointer == nullptr) {
    fail(NULL_POINTER, function, "message is NULL");
    return {};
  }
  auto* handle = reinterpret_cast<Handle*>(pointer);
  if (handle->alive() && handle->kind() == Kind::MessageExt)
    return {static_cast<MessageExtHandle*>(handle), nullptr};
  if (handle->alive() && handle->kind() == Kind::Message)
    return {nullptr, static_cast<MessageHandle*>(handle)};
  fail(NULL_POINTER, function, "not a live CMessageExt or CMessage (used after its callback returned?)");
  return {};
}

template <typename OnExt, typename OnMessage>
const char* text_of(CMessageExt* pointer, const char* function, const char* slot, OnExt&& on_ext,
                    OnMessage&& on_message) {
  const Either handle = either(pointer, function);
  if (!handle) return nullptr;
  try {
    if (handle.ext != nullptr) return handle.ext->keep(slot, on_ext(handle.ext->message));
    return handle.message->keep(slot, on_message(handle.message->message));
  } catch (...) {
    fail_current(NULL_POINTER, function);
    return nullptr;
  }
}

template <typename T, typename OnExt, typename OnMessage>
T number_of(CMessageExt* pointer, const char* function, OnExt&& on_ext, OnMessage&& on_message) {
  const Either handle = either(pointer, function);
  if (!handle) return -1;
  if (handle.ext != nullptr) return static_cast<T>(on_ext(handle.ext->message));
  return static_cast<T>(on_message(handle.message->message));
}

int body_length(std::size_t size) {
  return size > static_cast<std::size_t>(std::numeric_limits<int>::max()) ? std::numeric_limits<int>::max()
                                                                          : static_cast<int>(size);
}

}  // namespace
}  // namespace rocketmq::capi

using rocketmq::Message;
using rocketmq::MessageExt;
using namespace rocketmq::capi;

// ---- CMessage.h --------------------------------------------------------------------------------

extern "C" CMessage* CreateMessage(const char* topic) {
  try {
    // The older client accepts NULL here and a topic set later (SetMessageTopic).
    auto* handle = new MessageHandle(topic == nullptr ? std::string() : std::string(topic));
    return reinterpret_cast<CMessage*>(static_cast<Handle*>(handle));
  } catch (...) {
    fail_current(MALLOC_FAILED, "CreateMessage");
    return nullptr;
  }
}

extern "C" int DestroyMessage(CMessage* msg) {
  auto* handle = message_of(msg, "DestroyMessage");
  if (handle == nullptr) return NULL_POINTER;
  handle->mark_dead();
  delete handle;
  return OK;
}

extern "C" int SetMessageTopic(CMessage* msg, const char* topic) {
  return set_field(msg, "SetMessageTopic", {topic}, [&](Message& m) { m.set_topic(topic); });
}

extern "C" int SetMessageTags(CMessage* msg, const char* tags) {
  return set_field(msg, "SetMessageTags", {tags}, [&](Message& m) { m.set_tags(tags); });
}

extern "C" int SetMessageKeys(CMessage* msg, const char* keys) {
  return set_field(msg, "SetMessageKeys", {keys}, [&](Message& m) { m.set_keys(keys); });
}

extern "C" int SetMessageBody(CMessage* msg, const char* body) {
  return set_field(msg, "SetMessageBody", {body}, [&](Message& m) { m.set_body(body); });
}

extern "C" int SetByteMessageBody(CMessage* msg, const char* body, int len) {
  if (len < 0) return fail(NULL_POINTER, "SetByteMessageBody", "negative length " + std::to_string(len));
  return set_field(msg, "SetByteMessageBody", {body},
                   [&](Message& m) { m.set_body(std::string(body, static_cast<std::size_t>(len))); });
}

// Reserved names (TAGS, KEYS, DELAY, ...) are stored as given, as the older client stored them: its
// callers set them through this function.
extern "C" int SetMessageProperty(CMessage* msg, const char* key, const char* value) {
  return set_field(msg, "SetMessageProperty", {key, value},
                   [&](Message& m) { m.set_system_property(key, value); });
}

extern "C" int SetDelayTimeLevel(CMessage* msg, int level) {
  return set_field(msg, "SetDelayTimeLevel", {}, [&](Message& m) { m.set_delay_level(level); });
}

extern "C" const char* GetOriginMessageTopic(CMessage* msg) {
  auto* handle = message_of(msg, "GetOriginMessageTopic");
  return handle == nullptr ? nullptr : handle->message.topic().c_str();
}

extern "C" const char* GetOriginMessageTags(CMessage* msg) {
  auto* handle = message_of(msg, "GetOriginMessageTags");
  return handle == nullptr ? nullptr : handle->keep("tags", handle->message.tags());
}

extern "C" const char* GetOriginMessageKeys(CMessage* msg) {
  auto* handle = message_of(msg, "GetOriginMessageKeys");
  return handle == nullptr ? nullptr : handle->keep("keys", handle->message.keys());
}

extern "C" const char* GetOriginMessageBody(CMessage* msg) {
  auto* handle = message_of(msg, "GetOriginMessageBody");
  return handle == nullptr ? nullptr : handle->message.body().c_str();
}

extern "C" int GetOriginMessageBodyLength(CMessage* msg) {
  auto* handle = message_of(msg, "GetOriginMessageBodyLength");
  return handle == nullptr ? -1 : body_length(handle->message.body().size());
}

extern "C" const char* GetOriginMessageProperty(CMessage* msg, const char* key) {
  auto* handle = message_of(msg, "GetOriginMessageProperty");
  if (handle == nullptr) return nullptr;
  if (key == nullptr) {
    fail(NULL_POINTER, "GetOriginMessageProperty", "key is NULL");
    return nullptr;
  }
  return handle->keep(std::string("property:") + key, handle->message.property(key));
}

extern "C" int GetOriginDelayTimeLevel(CMessage* msg) {
  auto* handle = message_of(msg, "GetOriginDelayTimeLevel");
  return handle == nullptr ? -1 : handle->message.delay_level();
}

// ---- CMessageExt.h: a received message, or a CMessage ------------------------------------------

extern "C" const char* GetMessageTopic(CMessageExt* msgExt) {
  return text_of(
      msgExt, "GetMessageTopic", "topic", [](const MessageExt& m) { return m.get_topic(); },
      [](const Message& m) { return m.topic(); });
}

extern "C" const char* GetMessageTags(CMessageExt* msgExt) {
  return text_of(
      msgExt, "GetMessageTags", "tags", [](const MessageExt& m) { return m.get_tags(); },
      [](const Message& m) { return m.tags(); });
}

extern "C" const char* GetMessageKeys(CMessageExt* msgExt) {
  return text_of(
      msgExt, "GetMessageKeys", "keys", [](const MessageExt& m) { return m.get_keys(); },
      [](const Message& m) { return m.keys(); });
}

extern "C" const char* GetMessageBody(CMessageExt* msgExt) {
  const Either handle = either(msgExt, "GetMessageBody");
  if (!handle) return nullptr;
  return handle.ext != nullptr ? handle.ext->message.get_body().c_str()
                               : handle.message->message.body().c_str();
}

extern "C" int GetMessageBodyLength(CMessageExt* msgExt) {
  return number_of<int>(
      msgExt, "GetMessageBodyLength", [](const MessageExt& m) { return body_length(m.get_body().size()); },
      [](const Message& m) { return body_length(m.body().size()); });
}

extern "C" const char* GetMessageProperty(CMessageExt* msgExt, const char* key) {
  if (key == nullptr) {
    fail(NULL_POINTER, "GetMessageProperty", "key is NULL");
    return nullptr;
  }
  const std::string name(key);
  return text_of(
      msgExt, "GetMessageProperty", ("property:" + name).c_str(),
      [&](const MessageExt& m) { return m.get_property(name); },
      [&](const Message& m) { return m.property(name); });
}

extern "C" const char* GetMessageId(CMessageExt* msgExt) {
  return text_of(
      msgExt, "GetMessageId", "id", [](const MessageExt& m) { return m.get_msg_id(); },
      [](const Message& m) { return m.property("UNIQ_KEY"); });
}

extern "C" int GetMessageDelayTimeLevel(CMessageExt* msgExt) {
  return number_of<int>(
      msgExt, "GetMessageDelayTimeLevel",
      [](const MessageExt& m) { return parse_int(m.get_property(kDelayProperty)); },
      [](const Message& m) { return m.delay_level(); });
}

// A CMessage has not been stored: its broker-side fields read as the older client's defaults.
extern "C" int GetMessageQueueId(CMessageExt* msgExt) {
  return number_of<int>(
      msgExt, "GetMessageQueueId", [](const MessageExt& m) { return m.get_queue_id(); },
      [](const Message&) { return 0; });
}

extern "C" int GetMessageReconsumeTimes(CMessageExt* msgExt) {
  return number_of<int>(
      msgExt, "GetMessageReconsumeTimes", [](const MessageExt& m) { return m.get_reconsume_times(); },
      [](const Message&) { return 0; });
}

extern "C" int GetMessageStoreSize(CMessageExt* msgExt) {
  return number_of<int>(
      msgExt, "GetMessageStoreSize", [](const MessageExt& m) { return m.get_store_size(); },
      [](const Message&) { return 0; });
}

extern "C" long long GetMessageBornTimestamp(CMessageExt* msgExt) {
  return number_of<long long>(
      msgExt, "GetMessageBornTimestamp", [](const MessageExt& m) { return m.get_born_timestamp(); },
      [](const Message&) { return 0; });
}

extern "C" long long GetMessageStoreTimestamp(CMessageExt* msgExt) {
  return number_of<long long>(
      msgExt, "GetMessageStoreTimestamp", [](const MessageExt& m) { return m.get_store_timestamp(); },
      [](const Message&) { return 0; });
}

extern "C" long long GetMessageQueueOffset(CMessageExt* msgExt) {
  return number_of<long long>(
      msgExt, "GetMessageQueueOffset", [](const MessageExt& m) { return m.get_queue_offset(); },
      [](const Message&) { return 0; });
}

extern "C" long long GetMessageCommitLogOffset(CMessageExt* msgExt) {
  return number_of<long long>(
      msgExt, "GetMessageCommitLogOffset", [](const MessageExt& m) { return m.get_commit_log_offset(); },
      [](const Message&) { return 0; });
}

// The public C++ API does not expose it; it is 0 for every message not sent as a transaction half
// message, and this library sends none (docs/c-api.md).
extern "C" long long GetMessagePreparedTransactionOffset(CMessageExt* msgExt) {
  return number_of<long long>(
      msgExt, "GetMessagePreparedTransactionOffset", [](const MessageExt&) { return 0; },
      [](const Message&) { return 0; });
}

extern "C" const char* GetMessageStoreHost(CMessageExt* msg) {
  return text_of(
      msg, "GetMessageStoreHost", "store_host", [](const MessageExt& m) { return m.get_store_host(); },
      [](const Message&) { return std::string(); });
}

extern "C" const char* GetMessageBornHost(CMessageExt* msg) {
  return text_of(
      msg, "GetMessageBornHost", "born_host", [](const MessageExt& m) { return m.get_born_host(); },
      [](const Message&) { return std::string(); });
}

// ---- CBatchMessage.h -----------------------------------------------------------------------------

extern "C" CBatchMessage* CreateBatchMessage(void) {
  try {
    return reinterpret_cast<CBatchMessage*>(static_cast<Handle*>(new BatchMessageHandle()));
  } catch (...) {
    fail_current(MALLOC_FAILED, "CreateBatchMessage");
    return nullptr;
  }
}

extern "C" int AddMessage(CBatchMessage* batchMsg, CMessage* msg) {
  auto* batch = cast_handle<BatchMessageHandle>(batchMsg, "AddMessage");
  if (batch == nullptr) return NULL_POINTER;
  auto* message = message_of(msg, "AddMessage");
  if (message == nullptr) return NULL_POINTER;
  try {
    batch->messages.push_back(message->message);
    return OK;
  } catch (...) {
    return fail_current(MALLOC_FAILED, "AddMessage");
  }
}

extern "C" int DestroyBatchMessage(CBatchMessage* batchMsg) {
  auto* batch = cast_handle<BatchMessageHandle>(batchMsg, "DestroyBatchMessage");
  if (batch == nullptr) return NULL_POINTER;
  batch->mark_dead();
  delete batch;
  return OK;
}
