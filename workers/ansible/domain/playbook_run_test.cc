#include "workers/ansible/domain/playbook_run.h"

#include <catch2/catch.hpp>

namespace mpli::ansibleworker {
namespace {

TEST_CASE("an artifact is a playbook path that stays in the playbook directory") {
  CHECK(*playbook_relative_path("demo-service.yml") == "demo-service.yml");
  CHECK(*playbook_relative_path("db/site.yml") == "db/site.yml");
  for (const char* escape : {"", "/etc/ansible/site.yml", "../site.yml", "db/../../x.yml",
                             "./site.yml", "db//site.yml", "db/"}) {
    INFO(escape);
    auto path = playbook_relative_path(escape);
    REQUIRE_FALSE(path.is_ok());
    CHECK(path.status().detail("field") == "artifact");
  }
}

TEST_CASE("extra vars carry each parameter, all of them, and the mpli variables, never templated") {
  RunVariables vars{"ord_1", "provision", "wrk_1", "/state/pb", "/run/out.json", "/run/sec.json"};
  auto document = extra_vars_document({{"greeting", "{{ lookup('pipe', 'id') }}\n\"x\""}}, vars);
  REQUIRE(document.is_ok());
  CHECK(document->find("\"greeting\": !unsafe \"{{ lookup('pipe', 'id') }}\\n\\\"x\\\"\"\n") !=
        std::string::npos);
  CHECK(document->find("\"mpli_parameters\": {\"greeting\": !unsafe ") != std::string::npos);
  CHECK(document->find("\"mpli_order_id\": !unsafe \"ord_1\"\n") != std::string::npos);
  CHECK(document->find("\"mpli_operation\": !unsafe \"provision\"\n") != std::string::npos);
  CHECK(document->find("\"mpli_work_id\": !unsafe \"wrk_1\"\n") != std::string::npos);
  CHECK(document->find("\"mpli_state_dir\": !unsafe \"/state/pb\"\n") != std::string::npos);
  CHECK(document->find("\"mpli_outputs_file\": !unsafe \"/run/out.json\"\n") != std::string::npos);
  CHECK(document->find("\"mpli_parameters\": {}") == std::string::npos);
  CHECK(extra_vars_document({}, vars)->find("\"mpli_parameters\": {}\n") != std::string::npos);
}

TEST_CASE("a parameter may not set Ansible's or the worker's own variables") {
  RunVariables vars{"ord_1", "provision", "wrk_1", "/s", "/o", "/x"};
  for (const char* name : {"ansible_connection", "ansible_python_interpreter", "ansible_become",
                           "mpli_operation", "hostvars", "lookup", "has space", "1st", "a-b", ""}) {
    INFO(name);
    auto document = extra_vars_document({{name, "x"}}, vars);
    REQUIRE_FALSE(document.is_ok());
    CHECK(document.status().code() == StatusCode::kInvalidArgument);
  }
  CHECK(extra_vars_document({{"_private", "x"}, {"size_gb", "3"}}, vars).is_ok());
}

TEST_CASE("a failed task's message and stderr describe the failure") {
  std::string output =
      "PLAY [x] ***\n\nTASK [Gathering] ***\nok: [localhost]\n\n"
      "TASK [Try and ignore] ***\n"
      "fatal: [localhost]: FAILED! => {\"changed\": false, \"msg\": \"ignored one\"}\n"
      "...ignoring\n\n"
      "TASK [Run the installer] ***\n"
      "fatal: [localhost]: FAILED! => {\"changed\": true, \"msg\": \"non-zero return code\", "
      "\"rc\": 3, \"stderr\": \"line one\\ndisk full\"}\n\n"
      "PLAY RECAP ***\nlocalhost : ok=1 changed=0 unreachable=0 failed=1\n";
  auto failure = describe_failure(2, output);
  CHECK(failure.message == "task 'Run the installer' failed: non-zero return code: disk full");
  CHECK_FALSE(failure.retryable);
}

TEST_CASE("an unreachable host is worth another attempt") {
  std::string output =
      "TASK [Ping] ***\n"
      "fatal: [db1]: UNREACHABLE! => {\"changed\": false, \"msg\": \"ssh: connect to host db1 "
      "port 22: Connection refused\", \"unreachable\": true}\n";
  auto failure = describe_failure(4, output);
  CHECK(failure.retryable);
  CHECK(failure.message ==
        "task 'Ping' could not reach its host: ssh: connect to host db1 port 22: Connection "
        "refused");
}

TEST_CASE("without a failed task the ERROR line or the last line is the message") {
  auto parse_error = describe_failure(
      4,
      "ERROR! couldn't resolve module/action 'nope'. This often indicates a misspelling\n\n"
      "The error appears to be in '/p/bad.yml': line 3\n");
  CHECK(parse_error.message ==
        "ERROR! couldn't resolve module/action 'nope'. This often "
        "indicates a misspelling");
  CHECK_FALSE(parse_error.retryable);
  CHECK(describe_failure(250, "something odd\n\n").message ==
        "ansible-playbook exited with 250: something odd");
  CHECK(describe_failure(1, "").message == "ansible-playbook exited with 1");
}

TEST_CASE("outputs are one JSON object, non-strings kept as their JSON text") {
  auto outputs = parse_outputs(R"({"dir": "/srv/x", "port": 8080, "ok": true, "tags": ["a"]})");
  REQUIRE(outputs.is_ok());
  CHECK(outputs->at("dir") == "/srv/x");
  CHECK(outputs->at("port") == "8080");
  CHECK(outputs->at("ok") == "true");
  CHECK(outputs->at("tags") == R"(["a"])");
  CHECK_FALSE(parse_outputs("[1, 2]").is_ok());
  CHECK_FALSE(parse_outputs("not json").is_ok());
}

}  // namespace
}  // namespace mpli::ansibleworker
