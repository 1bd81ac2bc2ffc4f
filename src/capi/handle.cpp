#include "capi/handle.h"

#include "rocketmq/CErrorMessage.h"
#include "rocketmq/version.h"

namespace rocketmq::capi {

namespace {
thread_local std::string latest;
}  // namespace

Handle::~Handle() = default;

void set_error(const std::string& text) { latest = text; }

const char* latest_error() noexcept { return latest.c_str(); }

std::string describe_current_exception(const char* function) {
  try {
    throw;
  } catch (const std::exception& error) {
    return std::string(function) + ": " + error.what();
  } catch (...) {
    return std::string(function) + ": unknown error";
  }
}

std::string exception_type(const std::exception_ptr& error) {
  if (!error) return "";
  try {
    std::rethrow_exception(error);
  } catch (const AuthError&) {
    return "AuthError";
  } catch (const BrokerError&) {
    return "BrokerError";
  } catch (const ClientError&) {
    return "ClientError";
  } catch (const ProtocolError&) {
    return "ProtocolError";
  } catch (const ConnectError&) {
    return "ConnectError";
  } catch (const TimeoutError&) {
    return "TimeoutError";
  } catch (const Error&) {
    return "Error";
  } catch (const std::exception&) {
    return "std::exception";
  } catch (...) {
    return "unknown";
  }
}

std::string library_version_text() { return std::string("rocketmq-cpp ") + version_string(); }

int fail(int status, const char* function, const std::string& text) {
  set_error(std::string(function) + ": " + text);
  return status;
}

int fail_current(int status, const char* function) {
  set_error(describe_current_exception(function));
  return status;
}

}  // namespace rocketmq::capi

extern "C" const char* GetLatestErrorMessage(void) { return rocketmq::capi::latest_error(); }
