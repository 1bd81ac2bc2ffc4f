// TopicStats: rates over the window between two samples, average times, per topic.

#include "consumer/topic_stats.h"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using rocketmq::consumer::TopicStats;

TEST_CASE("topic rates come from the counters between two samples", "[topicstats]") {
  TopicStats stats;
  const auto start = TopicStats::Clock::now();
  stats.pulled("A", 32, 4ms);
  stats.sample(start);
  CHECK(stats.rates().at("A").pull_tps == 0);  // one sample: no window yet

  stats.pulled("A", 100, 2ms);
  stats.pulled("A", 100, 4ms);
  stats.consumed("A", 150, 0, 10ms);
  stats.consumed("A", 0, 50, 30ms);
  stats.consumed("B", 10, 0, 1ms);
  stats.sample(start + 10s);
  const auto rates = stats.rates();
  const auto& a = rates.at("A");
  CHECK(a.pull_tps == Approx(20.0));
  CHECK(a.pull_rt_ms == Approx(3.0));
  CHECK(a.consume_ok_tps == Approx(15.0));
  CHECK(a.consume_failed_tps == Approx(5.0));
  CHECK(a.consume_rt_ms == Approx(20.0));
  CHECK(a.consume_failed_total == 50);
  CHECK(rates.at("B").consume_ok_tps == 0);  // first seen in this window: rates from the next one

  stats.sample(start + 20s);  // an idle window
  CHECK(stats.rates().at("A").consume_ok_tps == 0);
  CHECK(stats.rates().at("A").consume_failed_total == 50);
}
