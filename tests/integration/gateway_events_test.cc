// GET /v1/events over real sockets: a real nats-server (JetStream), PostgreSQL, discovery and
// mpli-gateway; providers are registered through the gateway, and the streams are read by a raw
// socket client that decodes the chunked body and the Server-Sent Events in it, so framing,
// headers and the end of a stream are seen exactly as a browser's EventSource would see them.
#include <arpa/inet.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "libs/bus/connection.h"
#include "libs/bus/jetstream.h"
#include "libs/testing/environment.h"
#include "libs/testing/tokens.h"

using namespace mpli;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

using Env = std::map<std::string, std::string>;

std::string read_example(const std::string& name) {
  std::ifstream in("ontology/examples/" + name);
  INFO("ontology/examples/" << name << ": run from the repository root");
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct SseEvent {
  std::optional<std::string> id;
  std::string event;
  std::string data;
  json json_data() const {
    auto parsed = json::parse(data, nullptr, false);
    INFO(data);
    REQUIRE(parsed.is_object());
    return parsed;
  }
};

// One GET /v1/events on its own connection: the head, then the chunked body decoded into SSE
// blocks as they arrive.
class EventClient {
 public:
  EventClient(int port, const std::string& target,
              const std::vector<std::string>& extra_headers = {}, const std::string& method = "GET")
      : head_only_(method == "HEAD") {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: t\r\n";
    bool accept = false;
    for (const auto& line : extra_headers) {
      request += line + "\r\n";
      accept |= line.rfind("Accept:", 0) == 0;
    }
    if (!accept) request += "Accept: text/event-stream\r\n";
    request += "\r\n";
    REQUIRE(::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size()));
    read_head();
  }
  ~EventClient() { close(fd_); }
  EventClient(const EventClient&) = delete;
  EventClient& operator=(const EventClient&) = delete;

  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;                            // of a non-streaming answer
  std::vector<std::string> comments;           // ": ..." lines seen so far
  std::string retry;                           // the last retry: value

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }

  // The next event (a block with data), or nullopt when none came within `within` or the
  // stream ended.
  std::optional<SseEvent> next_event(std::chrono::milliseconds within = 20s) {
    if (!held_.empty()) {
      SseEvent event = held_.front();
      held_.erase(held_.begin());
      return event;
    }
    auto deadline = std::chrono::steady_clock::now() + within;
    while (true) {
      size_t end;
      while ((end = text_.find("\n\n")) != std::string::npos) {
        std::string block = text_.substr(0, end);
        text_.erase(0, end + 2);
        if (auto event = parse_block(block)) return event;
      }
      if (!fill(deadline)) return std::nullopt;
    }
  }

  // Events until one satisfies `stop` (included); fails the test when the stream stalls.
  std::vector<SseEvent> events_until(const std::function<bool(const SseEvent&)>& stop,
                                     std::chrono::milliseconds within = 30s) {
    std::vector<SseEvent> events;
    while (true) {
      auto event = next_event(within);
      INFO("events so far: " << events.size());
      REQUIRE(event);
      events.push_back(*event);
      if (stop(*event)) return events;
    }
  }

  // True once the body's last chunk (or the connection's end) arrives within `within`.
  bool stream_ended(std::chrono::milliseconds within = 15s) {
    auto deadline = std::chrono::steady_clock::now() + within;
    while (!ended_ && fill(deadline)) {
    }
    return ended_;
  }
  bool saw_last_chunk() const { return last_chunk_; }

  // True once the comment `text` has arrived `times` times within `within`; events meanwhile
  // are kept for next_event.
  bool comment_arrives(const std::string& text, size_t times = 1,
                       std::chrono::milliseconds within = 30s) {
    auto deadline = std::chrono::steady_clock::now() + within;
    while (true) {
      size_t end;
      while ((end = text_.find("\n\n")) != std::string::npos) {
        std::string block = text_.substr(0, end);
        text_.erase(0, end + 2);
        if (auto event = parse_block(block)) held_.push_back(*event);
      }
      if (static_cast<size_t>(std::count(comments.begin(), comments.end(), text)) >= times) {
        return true;
      }
      if (!fill(deadline)) return false;
    }
  }

 private:
  void read_head() {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    size_t end;
    while ((end = raw_.find("\r\n\r\n")) == std::string::npos) {
      REQUIRE(receive(deadline));
    }
    std::istringstream lines(raw_.substr(0, end));
    std::string line;
    std::getline(lines, line);
    status = std::stoi(line.substr(9, 3));
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    raw_.erase(0, end + 4);
    if (head_only_) {
      ended_ = true;
      return;
    }
    if (header("transfer-encoding") != "chunked") {
      size_t length = std::stoul(header("content-length").empty() ? "0" : header("content-length"));
      while (raw_.size() < length) REQUIRE(receive(deadline));
      body = raw_.substr(0, length);
      ended_ = true;
    }
  }

  // Decodes whole chunks from raw_ into text_.
  void decode() {
    while (!ended_) {
      size_t line_end = raw_.find("\r\n");
      if (line_end == std::string::npos) return;
      size_t size = std::stoul(raw_.substr(0, line_end), nullptr, 16);
      if (raw_.size() < line_end + 2 + size + 2) return;
      text_ += raw_.substr(line_end + 2, size);
      raw_.erase(0, line_end + 2 + size + 2);
      if (size == 0) ended_ = last_chunk_ = true;
    }
  }

  bool fill(std::chrono::steady_clock::time_point deadline) {
    if (ended_) return false;
    if (!receive(deadline)) {
      return false;
    }
    decode();
    return true;
  }

  bool receive(std::chrono::steady_clock::time_point deadline) {
    if (eof_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[65536];
    ssize_t got = recv(fd_, chunk, sizeof(chunk), 0);
    if (got <= 0) {
      eof_ = true;
      ended_ = true;
      return false;
    }
    raw_.append(chunk, static_cast<size_t>(got));
    return true;
  }

  std::optional<SseEvent> parse_block(const std::string& block) {
    SseEvent event;
    bool has_data = false;
    std::istringstream lines(block);
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty() && line[0] == ':') {
        comments.push_back(line.substr(line.size() > 1 && line[1] == ' ' ? 2 : 1));
        continue;
      }
      size_t colon = line.find(':');
      std::string field = line.substr(0, colon);
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
      if (field == "id") event.id = value;
      if (field == "event") event.event = value;
      if (field == "retry") retry = value;
      if (field == "data") {
        event.data += (has_data ? "\n" : "") + value;
        has_data = true;
      }
    }
    if (!has_data) return std::nullopt;
    return event;
  }

  const bool head_only_;
  int fd_ = -1;
  std::string raw_;             // bytes not yet decoded
  std::string text_;            // decoded body not yet parsed
  std::vector<SseEvent> held_;  // parsed while looking for a comment, not yet taken
  bool eof_ = false;
  bool ended_ = false;
  bool last_chunk_ = false;
};

bool ingested(const SseEvent& event, const std::string& provider) {
  return event.event == "discovery.v1.manifest_ingested" &&
         event.json_data()["payload"]["provider_id"] == provider;
}

std::vector<std::string> ids_of(const std::vector<SseEvent>& events) {
  std::vector<std::string> ids;
  for (const auto& e : events) ids.push_back(e.id.value_or("(none)"));
  return ids;
}

// NATS, PostgreSQL, discovery and a gateway with an admin token.
class Hub {
 public:
  explicit Hub(const Env& extra = {}) : nats_(dir_.path()), pg_(dir_.path()), tokens_(dir_.path()) {
    auto port = process::free_tcp_port();
    REQUIRE(port.is_ok());
    port_ = *port;
    env_ = {{"MPLI_NATS_URL", nats_.url()},
            {"MPLI_DATABASE_URL", pg_.dsn()},
            {"MPLI_HTTP_PORT", std::to_string(port_)},
            {"MPLI_AUTH_SIGNING_KEY_FILE", tokens_.key_file()}};
    for (const auto& [k, v] : extra) env_[k] = v;
    discovery_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-discovery", env_, dir_.path()));
    gateway_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-gateway", env_, dir_.path()));
    testing::wait_until([&] { return get("/v1/providers").status == 200; }, 60s,
                        "the gateway answers with discovery behind it");
  }

  int port() const { return port_; }
  testing::HttpResponse get(const std::string& path) {
    return testing::http_request("GET", "http://127.0.0.1:" + std::to_string(port_) + path, "", {},
                                 15s);
  }
  testing::HttpResponse upload(const std::string& turtle) {
    return testing::http_request(
        "POST", "http://127.0.0.1:" + std::to_string(port_) + "/v1/providers", turtle,
        {"Content-Type: text/turtle", testing::TestTokens::bearer(admin())}, 30s);
  }
  std::string admin() const { return tokens_.admin(); }
  process::ChildProcess& gateway() { return *gateway_; }
  std::string nats() const { return nats_.url(); }

 private:
  testing::TempDir dir_;
  testing::TestNats nats_;
  testing::TestPostgres pg_;
  testing::TestTokens tokens_;
  Env env_;
  int port_ = 0;
  std::unique_ptr<process::ChildProcess> discovery_;
  std::unique_ptr<process::ChildProcess> gateway_;
};

}  // namespace

TEST_CASE("a registration reaches an open stream as Server-Sent Events") {
  Hub hub;
  EventClient stream(hub.port(), "/v1/events");
  REQUIRE(stream.status == 200);
  CHECK(stream.header("content-type") == "text/event-stream");
  CHECK(stream.header("cache-control") == "no-store");
  CHECK(stream.header("transfer-encoding") == "chunked");

  REQUIRE(hub.upload(read_example("provider-hexacloud-fr.ttl")).status == 201);
  auto events = stream.events_until([](const SseEvent& e) { return ingested(e, "hexacloud"); });
  CHECK(stream.retry == "3000");  // the reconnection hint came first
  CHECK(std::find(stream.comments.begin(), stream.comments.end(), "stream open") !=
        stream.comments.end());
  bool offering_added = false;
  for (const auto& event : events) {
    INFO(event.data);
    REQUIRE(event.id);
    json data = event.json_data();
    // The SSE id is the stream sequence, the SSE event name the type; both also in the data.
    CHECK(data["sequence"] == std::stoull(*event.id));
    CHECK(data["type"] == event.event);
    CHECK(data["producer"] == "discovery");
    CHECK_FALSE(data["id"].get<std::string>().empty());
    if (event.event == "discovery.v1.offering_added") {
      offering_added = true;
      CHECK(data["payload_type"] == "mpli.discovery.v1.OfferingAdded");
      CHECK(data["payload"]["offering"]["provider_id"] == "hexacloud");
    }
  }
  CHECK(offering_added);
  json last = events.back().json_data();
  CHECK(last["payload_type"] == "mpli.discovery.v1.ManifestIngested");
  CHECK(last["payload"]["offerings"].get<int>() > 0);
  // Sequences rise one by one: nothing in between was dropped.
  for (size_t i = 1; i < events.size(); ++i) {
    CHECK(std::stoull(*events[i].id) == std::stoull(*events[i - 1].id) + 1);
  }
}

TEST_CASE("filters by provider and type prefix, bad parameters are 400 naming them") {
  Hub hub;
  EventClient filtered(hub.port(), "/v1/events?provider=polderstack&type=discovery.v1.manifest_");
  REQUIRE(filtered.status == 200);
  EventClient offerings(hub.port(), "/v1/events?type=discovery.v1.offering_");
  REQUIRE(offerings.status == 200);

  // Hexacloud's events come first in the stream; a filter that let them through would show
  // them first.
  REQUIRE(hub.upload(read_example("provider-hexacloud-fr.ttl")).status == 201);
  REQUIRE(hub.upload(read_example("provider-polderstack-nl.ttl")).status == 201);
  auto first = filtered.next_event();
  REQUIRE(first);
  INFO(first->data);
  CHECK(ingested(*first, "polderstack"));

  auto offering = offerings.next_event();
  REQUIRE(offering);
  CHECK(offering->event.rfind("discovery.v1.offering_", 0) == 0);

  for (const std::string bad : {"/v1/events?providers=x", "/v1/events?type=discovery.%3E",
                                "/v1/events?last_event_id=abc", "/v1/events?provider="}) {
    INFO(bad);
    auto answer = hub.get(bad);
    REQUIRE(answer.status == 400);
    CHECK(answer.content_type == "application/problem+json");
    json problem = json::parse(answer.body);
    std::string name = bad.substr(bad.find('?') + 1);
    name = name.substr(0, name.find('='));
    CHECK(problem["field"] == name);
  }
  EventClient json_only(hub.port(), "/v1/events", {"Accept: application/json"});
  CHECK(json_only.status == 406);
  EventClient head(hub.port(), "/v1/events?type=discovery.", {}, "HEAD");
  CHECK(head.status == 200);
  CHECK(head.header("content-type") == "text/event-stream");
  EventClient bad_header(hub.port(), "/v1/events", {"Last-Event-ID: yesterday"});
  CHECK(bad_header.status == 400);
  CHECK(json::parse(bad_header.body)["field"] == "Last-Event-ID");
}

TEST_CASE("Last-Event-ID replays exactly the missed events, then goes on live without duplicates") {
  Hub hub;
  // A witness that sees everything from the start.
  EventClient witness(hub.port(), "/v1/events");
  REQUIRE(witness.status == 200);
  REQUIRE(hub.upload(read_example("provider-hexacloud-fr.ttl")).status == 201);
  REQUIRE(hub.upload(read_example("provider-polderstack-nl.ttl")).status == 201);
  auto seen = witness.events_until([](const SseEvent& e) { return ingested(e, "hexacloud"); });
  auto more = witness.events_until([](const SseEvent& e) { return ingested(e, "polderstack"); });
  seen.insert(seen.end(), more.begin(), more.end());
  REQUIRE(seen.size() >= 3);

  // A client that read only the first event and reconnects, once by header, once by parameter.
  std::string resume_after = *seen[0].id;
  EventClient by_header(hub.port(), "/v1/events", {"Last-Event-ID: " + resume_after});
  REQUIRE(by_header.status == 200);
  EventClient by_parameter(hub.port(), "/v1/events?last_event_id=" + resume_after);
  REQUIRE(by_parameter.status == 200);

  // A new registration while they are open: it must follow the replay, each event once.
  REQUIRE(hub.upload(read_example("provider-nordwolke-de.ttl")).status == 201);
  auto live = witness.events_until([](const SseEvent& e) { return ingested(e, "nordwolke"); });
  seen.insert(seen.end(), live.begin(), live.end());
  std::vector<SseEvent> expected(seen.begin() + 1, seen.end());

  for (EventClient* resumed : {&by_header, &by_parameter}) {
    std::vector<SseEvent> got;
    while (got.size() < expected.size()) {
      auto event = resumed->next_event();
      REQUIRE(event);
      got.push_back(*event);
    }
    CHECK(ids_of(got) == ids_of(expected));
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i].data == expected[i].data);
    // Nothing was lost in between: no notice.
    for (const auto& event : got) CHECK(event.event != "stream.events_lost");
  }
}

TEST_CASE("a Last-Event-ID the stream no longer or never had is said so first") {
  Hub hub;
  REQUIRE(hub.upload(read_example("provider-hexacloud-fr.ttl")).status == 201);
  bus::ConnectOptions options;
  options.url = hub.nats();
  options.name = "events-test";
  auto bus = bus::Connection::connect(options);
  REQUIRE(bus.is_ok());
  REQUIRE((*bus)->wait_connected(10s).is_ok());
  // Wait until the relay has published hexacloud's events, then drop them all.
  testing::wait_until(
      [&] {
        auto state = bus::stream_state(**bus, "MPLI_EVENTS");
        return state.is_ok() && state->last_sequence >= 2;
      },
      30s, "discovery's events are in MPLI_EVENTS");
  // Wait for the relay to finish this registration: its manifest_ingested is on the stream.
  {
    EventClient all(hub.port(), "/v1/events?last_event_id=0");
    REQUIRE(all.status == 200);
    all.events_until([](const SseEvent& e) { return ingested(e, "hexacloud"); });
  }
  jsErrCode code = static_cast<jsErrCode>(0);
  REQUIRE(js_PurgeStream((*bus)->jetstream_context(), "MPLI_EVENTS", nullptr, &code) == NATS_OK);
  auto state = bus::stream_state(**bus, "MPLI_EVENTS");
  REQUIRE(state.is_ok());
  uint64_t last = state->last_sequence;

  EventClient expired(hub.port(), "/v1/events", {"Last-Event-ID: 1"});
  REQUIRE(expired.status == 200);
  auto notice = expired.next_event();
  REQUIRE(notice);
  CHECK(notice->event == "stream.events_lost");
  CHECK_FALSE(notice->id);  // the client keeps its Last-Event-ID
  json lost = notice->json_data();
  CHECK(lost["reason"] == "expired");
  CHECK(lost["requested_after"] == 1);
  CHECK(lost["first_available"] == last + 1);

  EventClient ahead(hub.port(), "/v1/events?last_event_id=" + std::to_string(last + 1000));
  REQUIRE(ahead.status == 200);
  auto unknown = ahead.next_event();
  REQUIRE(unknown);
  CHECK(unknown->event == "stream.events_lost");
  CHECK(unknown->json_data()["reason"] == "unknown_id");

  // Both go on with what comes next.
  REQUIRE(hub.upload(read_example("provider-polderstack-nl.ttl")).status == 201);
  expired.events_until([](const SseEvent& e) { return ingested(e, "polderstack"); });
  ahead.events_until([](const SseEvent& e) { return ingested(e, "polderstack"); });
}

TEST_CASE("an anonymous caller gets no event that is not public, the admin token gets them") {
  Hub hub;
  EventClient anonymous(hub.port(), "/v1/events");
  REQUIRE(anonymous.status == 200);
  EventClient admin(hub.port(), "/v1/events", {testing::TestTokens::bearer(hub.admin())});
  REQUIRE(admin.status == 200);
  EventClient forged(hub.port(), "/v1/events", {"Authorization: Bearer not-a-token-we-know"});
  CHECK(forged.status == 401);
  CHECK(forged.header("www-authenticate").find("invalid_token") != std::string::npos);

  // A manifest that is not Turtle: discovery records the rejection (manifest_rejected, about
  // no known provider), then a good registration.
  CHECK(hub.upload("this is @not turtle").status == 400);
  REQUIRE(hub.upload(read_example("provider-hexacloud-fr.ttl")).status == 201);

  auto admin_events =
      admin.events_until([](const SseEvent& e) { return ingested(e, "hexacloud"); });
  bool admin_saw_rejection = false;
  for (const auto& e : admin_events) {
    admin_saw_rejection |= e.event == "discovery.v1.manifest_rejected";
  }
  CHECK(admin_saw_rejection);

  auto public_events =
      anonymous.events_until([](const SseEvent& e) { return ingested(e, "hexacloud"); });
  for (const auto& e : public_events) {
    INFO(e.event);
    CHECK(e.event != "discovery.v1.manifest_rejected");
  }
  CHECK(public_events.size() + 1 == admin_events.size());
}

TEST_CASE("heartbeats, at most events.max_streams streams, and a gone client frees its place") {
  // Read and idle timeouts far shorter than the stream lives: they must not cut it.
  Hub hub(Env{{"MPLI_EVENTS_MAX_STREAMS", "1"},
              {"MPLI_EVENTS_HEARTBEAT", "1s"},
              {"MPLI_HTTP_READ_TIMEOUT", "1s"},
              {"MPLI_HTTP_IDLE_TIMEOUT", "1s"}});
  auto first = std::make_unique<EventClient>(hub.port(), "/v1/events");
  REQUIRE(first->status == 200);
  // Nothing happens in the hub: the stream still shows it is alive, past both timeouts (each
  // heartbeat comes at least a second after the one before).
  CHECK(first->comment_arrives("heartbeat", 3));
  CHECK_FALSE(first->stream_ended(0ms));

  EventClient second(hub.port(), "/v1/events");
  CHECK(second.status == 503);
  CHECK_FALSE(second.header("retry-after").empty());
  CHECK(json::parse(second.body)["code"] == "busy");

  first.reset();  // the client goes away
  int last_status = 0;
  std::string last_body;
  try {
    testing::wait_until(
        [&] {
          EventClient again(hub.port(), "/v1/events");
          last_status = again.status;
          last_body = again.body;
          return again.status == 200;
        },
        30s, "the stream of a client that left is closed, freeing its place");
  } catch (const std::exception&) {
    INFO("last answer: " << last_status << " " << last_body);
    throw;
  }
}

TEST_CASE("at shutdown the gateway ends its streams with the last chunk") {
  Hub hub;
  EventClient stream(hub.port(), "/v1/events");
  REQUIRE(stream.status == 200);
  REQUIRE(hub.gateway().send_signal(SIGTERM).is_ok());
  CHECK(stream.stream_ended(20s));
  CHECK(stream.saw_last_chunk());
  CHECK(hub.gateway().wait_for(30s).has_value());
}
