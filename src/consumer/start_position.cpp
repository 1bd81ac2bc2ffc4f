#include "consumer/start_position.h"

#include <random>

#include "common/log.h"
#include "consumer/local_file_offset_store.h"
#include "consumer/remote_broker_offset_store.h"
#include "protocol/bodies/heartbeat_data.h"
#include "protocol/response_code.h"

namespace rocketmq::consumer {

client::ClientConfig consumer_client_config(const ConsumerOption& option, const std::string& instance_name) {
  client::ClientConfig config;
  config.name_server_addr = option.name_server_addr();
  config.instance_name = instance_name;
  config.request_timeout = option.request_timeout();
  config.heartbeat_interval = option.heartbeat_interval();
  config.rebalance_interval = option.rebalance_interval();
  config.route_refresh_interval = option.route_refresh_interval();
  config.persist_offset_interval = option.persist_offset_interval();
  client::apply_security(config, option);
  return config;
}

std::unique_ptr<OffsetStore> make_offset_store(const std::shared_ptr<client::MQClientInstance>& instance,
                                               const ConsumerOption& option) {
  if (option.message_model() == MessageModel::Broadcasting) {
    return std::make_unique<LocalFileOffsetStore>(option.offset_store_dir(), instance->client_id(),
                                                  option.group_name());
  }
  auto weak_instance = std::weak_ptr<client::MQClientInstance>(instance);
  return std::make_unique<RemoteBrokerOffsetStore>(
      instance->api(), option.group_name(), [weak_instance](const std::string& broker_name) {
        auto live = weak_instance.lock();
        return live ? live->broker_address(broker_name) : std::nullopt;
      });
}

void fetch_start_routes(client::MQClientInstance& instance, const ConsumerOption& option,
                        const std::set<std::string>& topics, const std::string& quiet_topic) {
  for (const auto& topic : topics) {
    try {
      instance.update_topic_route(topic);
    } catch (const BrokerError& error) {
      if (error.response_code() != static_cast<int>(protocol::ResponseCode::kTopicNotExist)) throw;
      if (topic != quiet_topic) LOG_WARN("topic " << topic << " does not exist yet; waiting for it to appear");
    } catch (const ConnectError& error) {
      throw ConnectError("start(): cannot reach the name server " + option.name_server_addr() + ": " + error.what());
    } catch (const Error& error) {
      throw ClientError("start(): cannot reach the name server " + option.name_server_addr() + ": " + error.what());
    }
  }
}

std::int64_t compute_start_offset(client::MQClientInstance& instance, OffsetStore& offset_store,
                                  const ConsumerOption& option, const MessageQueue& queue,
                                  const std::function<void(const BackgroundError&)>& report) {
  const StoredOffset stored = offset_store.read_offset(queue, ReadOffsetType::Store);
  if (stored.found()) return stored.value();
  if (stored.is_unknown()) {
    // The broker could not be asked: later (the store logged why).
    report(BackgroundError{"offset_query",
                           "the committed offset of " + queue.to_string() + " could not be read from its broker",
                           nullptr});
    return -1;
  }
  auto address = instance.broker_address(queue.broker_name);
  if (!address) return -1;
  const bool retry = queue.topic.rfind("%RETRY%", 0) == 0;
  try {
    switch (option.consume_from_where()) {
      case ConsumeFromWhere::ConsumeFromFirstOffset:
        return 0;
      case ConsumeFromWhere::ConsumeFromTimestamp:
        if (retry) return instance.api().get_max_offset(*address, queue.topic, queue.queue_id);
        return instance.api().search_offset(*address, queue.topic, queue.queue_id, option.consume_timestamp());
      case ConsumeFromWhere::ConsumeFromLastOffset:
      default:
        if (retry) return 0;
        return instance.api().get_max_offset(*address, queue.topic, queue.queue_id);
    }
  } catch (const std::exception& error) {
    LOG_WARN("cannot compute the start offset of " << queue.to_string() << ": " << error.what());
    report(BackgroundError{"offset_query",
                           "the start offset of " + queue.to_string() + " could not be computed: " + error.what(),
                           std::current_exception()});
    return -1;
  }
}

std::vector<std::string> find_group_consumer_ids(client::MQClientInstance& instance, const std::string& group,
                                                 const std::string& topic) {
  auto route = instance.cached_route(topic);
  if (!route || route->broker_datas.empty()) throw ClientError("no route for " + topic);
  static thread_local std::mt19937 random{std::random_device{}()};
  const auto& brokers = route->broker_datas;
  const auto start = random() % brokers.size();
  std::exception_ptr last_error;
  for (std::size_t i = 0; i < brokers.size(); ++i) {
    const auto& broker = brokers[(start + i) % brokers.size()];
    auto address = broker.master_address();
    if (!address && !broker.broker_addrs.empty()) address = broker.broker_addrs.begin()->second;
    if (!address) continue;
    try {
      return instance.api().get_consumer_id_list(*address, group);
    } catch (const std::exception&) {
      last_error = std::current_exception();
    }
  }
  if (last_error) std::rethrow_exception(last_error);
  return {};
}

const char* consume_from_where_name(ConsumeFromWhere where) {
  switch (where) {
    case ConsumeFromWhere::ConsumeFromFirstOffset:
      return protocol::kConsumeFromFirstOffset;
    case ConsumeFromWhere::ConsumeFromTimestamp:
      return protocol::kConsumeFromTimestamp;
    default:
      return protocol::kConsumeFromLastOffset;
  }
}

}  // namespace rocketmq::consumer
