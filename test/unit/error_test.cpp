#include <catch2/catch.hpp>

#include <exception>
#include <stdexcept>

#include "client/transport_failure.h"
#include "rocketmq/error.h"

TEST_CASE("every SDK exception is caught as rocketmq::Error and keeps its details", "[error]") {
  try {
    throw rocketmq::BrokerError(17, "No topic route info in name server for the topic: T",
                                "TOPIC_NOT_EXIST: No topic route info");
  } catch (const rocketmq::Error& error) {
    const auto* broker_error = dynamic_cast<const rocketmq::BrokerError*>(&error);
    REQUIRE(broker_error != nullptr);
    CHECK(broker_error->response_code() == 17);
    CHECK(broker_error->remark() == "No topic route info in name server for the topic: T");
    CHECK(std::string(error.what()) == "TOPIC_NOT_EXIST: No topic route info");
  }
  CHECK_THROWS_AS(throw rocketmq::TimeoutError("t"), rocketmq::Error);
  CHECK_THROWS_AS(throw rocketmq::ConnectError("c"), rocketmq::Error);
  CHECK_THROWS_AS(throw rocketmq::ProtocolError("p"), rocketmq::Error);
  CHECK_THROWS_AS(throw rocketmq::ClientError("x"), std::runtime_error);
}

TEST_CASE("a deliberately failing test proves that failures fail the build", "[ci]") {
  // Set ROCKETMQ_DELIBERATE_FAILURE=1 to check that `./build.sh test` exits non-zero and still
  // stops the cluster.
  CHECK(std::getenv("ROCKETMQ_DELIBERATE_FAILURE") == nullptr);
}

TEST_CASE("transport failures: a lost connection, a timeout, and everything else", "[error]") {
  using rocketmq::client::TransportFailure;
  using rocketmq::client::transport_failure;
  CHECK(transport_failure(std::make_exception_ptr(rocketmq::ConnectError("reset"))) == TransportFailure::ConnectionLost);
  CHECK(transport_failure(std::make_exception_ptr(rocketmq::TimeoutError("late"))) == TransportFailure::TimedOut);
  // An answer that is an error, however bad, is not a lost path.
  CHECK(transport_failure(std::make_exception_ptr(rocketmq::BrokerError(2, "busy", "SYSTEM_BUSY"))) ==
        TransportFailure::None);
  CHECK(transport_failure(std::make_exception_ptr(rocketmq::AuthError(16, "no permission", "NO_PERMISSION"))) ==
        TransportFailure::None);
  CHECK(transport_failure(std::make_exception_ptr(std::runtime_error("local"))) == TransportFailure::None);
  CHECK(transport_failure(nullptr) == TransportFailure::None);
}
