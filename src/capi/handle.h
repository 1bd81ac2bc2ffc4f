#pragma once

#include <cstdint>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <mutex>
#include <string>

#include "rocketmq/CCommon.h"
#include "rocketmq/error.h"

// The C API (include/rocketmq/C*.h) over the public C++ API, nothing else: every C handle is a
// pointer to one of the Handle subclasses below, cast to the opaque C type at the boundary.
namespace rocketmq::capi {

enum class Kind : std::uint32_t {
  Message = 0x4d534731,  // CMessage
  MessageExt,            // CMessageExt (lives during one consume callback)
  BatchMessage,          // CBatchMessage
  Producer,              // CProducer
  PushConsumer,          // CPushConsumer
};

// Common head of every handle: the kind lets the getters of CMessageExt accept a CMessage (the
// Python wrapper calls them on one) and turns a handle of the wrong kind into an error, not a crash.
class Handle {
 public:
  explicit Handle(Kind kind) noexcept : kind_(kind) {}
  virtual ~Handle();
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Kind kind() const noexcept { return kind_; }

 private:
  static constexpr std::uint64_t kAlive = 0x524f434b45544d51ULL;
  std::uint64_t magic_ = kAlive;
  Kind kind_;

 public:
  bool alive() const noexcept { return magic_ == kAlive; }
  void mark_dead() noexcept { magic_ = 0; }
};

// The calling thread's last error (GetLatestErrorMessage).
void set_error(const std::string& text);
const char* latest_error() noexcept;

// The C++ exception in flight as a text naming the call: "SendMessageSync: <what>".
std::string describe_current_exception(const char* function);
// The error class name of an exception pointer: "BrokerError", "TimeoutError", ...
std::string exception_type(const std::exception_ptr& error);

// Returns `status` after recording "<function>: <text>" as the thread's error.
int fail(int status, const char* function, const std::string& text);
// Returns `status` after recording the exception in flight.
int fail_current(int status, const char* function);

// Null-checked cast of a C handle to its handle class; records an error and returns null for a
// null, destroyed or other-kind handle.
template <typename T>
T* cast_handle(void* pointer, const char* function) {
  if (pointer == nullptr) {
    fail(NULL_POINTER, function, "handle is NULL");
    return nullptr;
  }
  auto* handle = static_cast<Handle*>(pointer);
  if (!handle->alive() || handle->kind() != T::kKind) {
    fail(NULL_POINTER, function, "not a live handle of the expected type (destroyed, or another kind)");
    return nullptr;
  }
  return static_cast<T*>(handle);
}

// The frame of every option setter of a client handle (ProducerHandle, PushConsumerHandle): a live
// handle of that kind, no NULL string among `texts`, then `body(handle)` under the handle's mutex
// and only before the client is started (else `start_failed` with `started_text`); an exception from
// `body` (a refused value) becomes `start_failed` with its text. It takes only the C handle type of
// H (H::CType), so a setter cannot hand it another client's handle.
template <typename H, typename Body>
int configure_handle(typename H::CType* pointer, const char* function,
                     std::initializer_list<const char*> texts, int start_failed, const char* started_text,
                     Body&& body) {
  auto* handle = cast_handle<H>(pointer, function);
  if (handle == nullptr) return NULL_POINTER;
  for (const char* text : texts) {
    if (text == nullptr) return fail(NULL_POINTER, function, "string argument is NULL");
  }
  std::lock_guard<std::mutex> lock(handle->mutex);
  if (handle->started) return fail(start_failed, function, started_text);
  try {
    body(*handle);
    return OK;
  } catch (...) {
    return fail_current(start_failed, function);
  }
}

// The log level is process-wide in this library: the producer's and the push consumer's log level
// setters both set it.
void apply_log_level(CLogLevel level);

// An option the C API keeps for source compatibility but does not support: NULL_POINTER for a bad
// handle, else NOT_SUPPORT_NOW with `what` as the thread's error.
template <typename H>
int not_supported(typename H::CType* pointer, const char* function, const char* what) {
  if (cast_handle<H>(pointer, function) == nullptr) return NULL_POINTER;
  return fail(NOT_SUPPORT_NOW, function, what);
}

// Set*LogLevel of a client handle: the level is process-wide (apply_log_level).
template <typename H>
int set_log_level_of(typename H::CType* pointer, const char* function, CLogLevel level, int failed) {
  if (cast_handle<H>(pointer, function) == nullptr) return NULL_POINTER;
  try {
    apply_log_level(level);
    return OK;
  } catch (...) {
    return fail_current(failed, function);
  }
}

// Show*Version of a client handle: the text lives in the handle until the next call.
std::string library_version_text();
template <typename H>
const char* show_version(typename H::CType* pointer, const char* function) {
  auto* handle = cast_handle<H>(pointer, function);
  if (handle == nullptr) return nullptr;
  std::lock_guard<std::mutex> lock(handle->mutex);
  handle->version = library_version_text();
  return handle->version.c_str();
}

// Copies `text` into a fixed C array, cut to fit, always NUL-terminated.
template <std::size_t N>
void copy_text(char (&target)[N], const std::string& text) noexcept {
  const std::size_t size = text.size() < N - 1 ? text.size() : N - 1;
  std::memcpy(target, text.data(), size);
  target[size] = '\0';
}

}  // namespace rocketmq::capi
