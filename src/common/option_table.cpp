#include "common/option_table.h"

#include <string>

#include "rocketmq/error.h"

namespace rocketmq::common {

namespace {

[[noreturn]] void out_of_range(const OptionRow& row, const std::string& got) {
  throw ClientError(std::string(row.name) + " must be " + std::string(row.range) + ", got " + got);
}

}  // namespace

void check_option(const OptionRow& row, std::int64_t value) {
  if (value < row.min || value > row.max) out_of_range(row, std::to_string(value));
}

void check_option(const OptionRow& row, std::chrono::milliseconds value) {
  if (value.count() < row.min || value.count() > row.max) {
    out_of_range(row, std::to_string(value.count()) + " ms");
  }
}

}  // namespace rocketmq::common
