#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "client/client_config.h"
#include "client/client_inner.h"
#include "client/mq_client_api.h"
#include "common/scheduler.h"
#include "remoting/remoting_client.h"

namespace rocketmq::client {

// One per client id, shared by the process's producers and consumers: the remoting transport, the
// route cache, heartbeats to every broker, periodic and notified rebalances, offset persistence and
// the answers to requests brokers send us.
//
// Threads: the remoting I/O threads; one scheduler thread running route refresh, heartbeat,
// rebalance and offset persistence; one processor thread for broker requests.
class MQClientInstance : public std::enable_shared_from_this<MQClientInstance> {
 public:
  // The instance for config.client_id(), created on first use (or again after the previous one was
  // shut down). Released when its last user goes; the release never runs on the instance's own
  // threads, so any owner may let go anywhere.
  static std::shared_ptr<MQClientInstance> acquire(const ClientConfig& config);

  // For unit tests: an instance over any MQClientAPI.
  MQClientInstance(ClientConfig config, std::unique_ptr<MQClientAPI> api,
                   std::unique_ptr<remoting::RemotingClient> remoting);
  ~MQClientInstance();

  const std::string& client_id() const noexcept { return client_id_; }
  const ClientConfig& config() const noexcept { return config_; }
  MQClientAPI& api() noexcept { return *api_; }
  common::Scheduler& scheduler() noexcept { return scheduler_; }
  // Short non-blocking work after a delay on an I/O thread (pull pauses and retries).
  void remoting_run_after(std::chrono::milliseconds delay, std::function<void()> task) {
    if (remoting_) remoting_->run_after(delay, std::move(task));
  }

  // Starts the periodic tasks on first call. Throws ClientError when a consumer of the same group is
  // already registered in this instance.
  void register_consumer(const std::shared_ptr<ConsumerInner>& consumer);
  void unregister_consumer(const std::string& group);
  void register_producer(const std::shared_ptr<ProducerInner>& producer);
  void unregister_producer(const std::string& group);

  // Fetches the route of `topic` from the name server and updates brokers, producers and
  // consumers. Returns the route, or throws (BrokerError TOPIC_NOT_EXIST, ConnectError, ...).
  protocol::TopicRouteData update_topic_route(const std::string& topic);
  // Asks the name server for `topic`'s route on the scheduler thread, soon, once however often it
  // is called meanwhile (for a caller on an I/O thread that found no broker address: as Java, the
  // route is fetched again at once rather than at the next periodic refresh).
  void refresh_route_soon(const std::string& topic);
  std::optional<protocol::TopicRouteData> cached_route(const std::string& topic) const;

  // The address of broker `broker_name` with `broker_id` (0 = master) as the latest route lists it;
  // unless `only_this_broker`, another live replica when that one is not listed (the master, else
  // the lowest slave id), as Java's findBrokerAddressInSubscribe. nullopt when none is listed.
  std::optional<std::string> broker_address(const std::string& broker_name, std::int64_t broker_id = 0,
                                            bool only_this_broker = false) const;
  // The master's address only (sends go to masters); nullopt while the route lists none.
  std::optional<std::string> master_address(const std::string& broker_name) const;

  void send_heartbeat_to_all_brokers();
  // The version ordinal the broker at `address` answered our last heartbeat with; when none came
  // yet, sends one there now (on the caller's thread) and returns its answer. Throws what that
  // heartbeat throws.
  int broker_version(const std::string& address);
  // The version ordinal of the last heartbeat answer from `address`, if one came; never sends.
  std::optional<int> known_broker_version(const std::string& address) const;
  // With ACL credentials, start() must fail on a key the brokers refuse rather than start a client
  // that never works: sends `heartbeat` (client id filled in here) synchronously to every master
  // broker the name server lists and throws the first AuthError. Other failures (a broker down)
  // are only logged; the periodic heartbeat deals with them. Runs on the caller's thread. Returns
  // true when every master was asked and accepted the heartbeat (false: some could not be asked,
  // so their answer is unknown).
  bool check_broker_access(protocol::HeartbeatData heartbeat);
  // Rebalances every consumer on the scheduler thread as soon as possible.
  void rebalance_soon();
  // Stops the periodic tasks and closes every connection; requests after it fail with ClientError.
  // Idempotent, from any thread.
  void shutdown();
  // shutdown() once no producer or consumer is registered any more (the Java client's rule).
  void shutdown_if_unused();
  bool is_shut_down() const noexcept { return shut_down_.load(); }
  // True on the scheduler, I/O or processor threads of this instance.
  bool on_own_thread() const;

 private:
  void start_periodic_tasks();
  bool closing() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return closing_;
  }
  void refresh_all_routes();
  bool watch_lost_brokers_locked(const std::string& topic, const protocol::TopicRouteData& previous,
                                 const protocol::TopicRouteData& current);
  // Brokers of `topic` whose master `current` lacks although the stored route lists it, or whose
  // lost master is watched. Requires mutex_.
  std::vector<std::string> masters_missing_locked(const std::string& topic,
                                                  const protocol::TopicRouteData& current) const;
  // Before a master is forgotten, and while a lost one is watched: the other name servers' routes
  // (MQClientAPI::get_topic_route_from_other_name_servers); the broker (its replicas and queues)
  // is taken into `route` from the first one that lists its master.
  void keep_masters_listed_elsewhere(const std::string& topic, const std::vector<std::string>& missing,
                                     protocol::TopicRouteData& route);
  // update_topic_route(topic) on the scheduler after `delay`, once however often it is asked.
  void refresh_route_later(const std::string& topic, std::chrono::milliseconds delay);
  // Hands a background failure to every client it concerns: those of `topic`, or all of them.
  void report_background_error(const char* operation, const std::string& what, std::exception_ptr error,
                               const std::optional<std::string>& topic);
  // broker_addrs_ from routes_, newest route first per broker name. Requires mutex_.
  void rebuild_broker_addresses();
  // The heartbeat every broker gets: this instance's consumers and producers.
  protocol::HeartbeatData heartbeat_data() const;
  // api_->send_heartbeat, remembering the version the broker answered with.
  void send_heartbeat(const std::string& address, const protocol::HeartbeatData& heartbeat);
  void persist_all_offsets();
  void rebalance_all();
  void register_processors();
  std::shared_ptr<ConsumerInner> consumer(const std::string& group) const;
  // Snapshots taken under the lock, so callbacks run without it.
  std::vector<std::shared_ptr<ConsumerInner>> live_consumers() const;
  std::vector<std::shared_ptr<ProducerInner>> live_producers() const;
  // Runs `task` on every consumer; a failure is logged and does not stop the others.
  void for_each_consumer(const char* what, void (ConsumerInner::*task)());

  ClientConfig config_;
  std::string client_id_;
  std::unique_ptr<remoting::RemotingClient> remoting_;
  std::unique_ptr<MQClientAPI> api_;
  common::Scheduler scheduler_;

  mutable std::mutex mutex_;
  std::map<std::string, std::weak_ptr<ConsumerInner>> consumers_;
  std::map<std::string, std::weak_ptr<ProducerInner>> producers_;
  std::map<std::string, protocol::TopicRouteData> routes_;
  // topic → the number of the query whose answer is stored (queries are numbered when sent).
  std::map<std::string, std::uint64_t> route_versions_;
  std::uint64_t route_sequence_ = 0;
  // Held while clients are told a route (never while asking the name server), so that they learn
  // the routes of a topic in the order they were stored. Taken before mutex_, never inside it.
  std::mutex route_notify_mutex_;
  std::set<std::string> route_refresh_pending_;  // topics refresh_route_soon has queued
  // Topics whose route lost a broker it listed before, asked for again until it is back (see
  // watch_lost_brokers_locked); guarded by mutex_, as is route_recheck_pending_.
  struct LostBrokers {
    std::set<std::string> missing;
    std::chrono::steady_clock::time_point until;
  };
  std::map<std::string, LostBrokers> lost_brokers_;
  std::map<std::string, std::set<std::string>> expired_watches_;  // topic → brokers whose watch ran out
  // topic → broker → the master address kept from another name server (logged once).
  std::map<std::string, std::map<std::string, std::string>> kept_masters_;
  std::set<std::string> route_recheck_pending_;
  std::map<std::string, int> broker_versions_;  // address → version ordinal of its last heartbeat answer
  // broker name → id → address, as the newest route naming that broker lists it.
  std::map<std::string, std::map<std::int64_t, std::string>> broker_addrs_;
  bool periodic_started_ = false;
  bool closing_ = false;  // shutdown has begun: no client may register any more
  std::atomic<bool> rebalance_pending_{false};
  std::atomic<bool> shut_down_{false};
};

}  // namespace rocketmq::client
