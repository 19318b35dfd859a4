#include "workers/postgresql/postgres_provisioner.h"

#include <libpq-fe.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <sstream>

#include "libs/core/log.h"
#include "libs/process/child_process.h"
#include "workers/postgresql/domain/database_plan.h"
#include "workers/postgresql/pg_support.h"
#include "workers/postgresql/role_password.h"

namespace mpli::pgworker {

namespace fs = std::filesystem;
using worker::Outcome;
using worker::Work;

namespace {

struct OrderNames {
  std::string database;  // also the role's name
};

Result<OrderNames> names_for(const Work& work) {
  MPLI_ASSIGN_OR_RETURN(std::string name, database_name(work.order_id()));
  return OrderNames{name};
}

Result<std::pair<std::string, std::uintmax_t>> sha256_of_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return internal_error("cannot read " + path);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buffer(1 << 16);
  std::uintmax_t total = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    auto n = static_cast<std::size_t>(in.gcount());
    EVP_DigestUpdate(ctx.get(), buffer.data(), n);
    total += n;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return std::make_pair(hex, total);
}

// pg_dump or pg_restore for the order's existing database, reaching the server as the DSN's role
// through its environment, with time left before the item's deadline (args still to add).
Result<process::Spec> tool_spec(const ProvisionerConfig& config, const Work& work,
                                const std::string& database, const std::string& tool,
                                const std::string& when_missing) {
  int version = 0;
  {
    AdminSession session(config.server_dsn, database);
    if (!session.database_owner(database)) {
      return failed_precondition("database " + database + " does not exist: " + when_missing);
    }
    version = session.server_version();
  }
  if (time_left(work, config.default_tool_timeout).count() <= 0) {
    return deadline_exceeded("the item's deadline passed before " + tool);
  }
  process::Spec spec;
  spec.program = tool_path(config, version, tool);
  MPLI_ASSIGN_OR_RETURN(spec.environment, libpq_environment(config.server_dsn, database));
  return spec;
}

}  // namespace

Result<std::string> read_server_dsn(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return failed_precondition("cannot read " + path);
  if ((info.st_mode & 077) != 0) {
    return failed_precondition(path +
                               " holds a database password and must be readable by its owner "
                               "only (chmod 600)");
  }
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos) continue;
    auto end = line.find_last_not_of(" \t\r");
    return line.substr(begin, end - begin + 1);
  }
  return failed_precondition(path + " is empty: write the server's libpq DSN on its first line");
}

PostgresProvisioner::PostgresProvisioner(ProvisionerConfig config) : config_(std::move(config)) {}

Outcome PostgresProvisioner::provision(const Work& work, worker::Progress& progress) const {
  return guarded("provision", work, [&]() -> Result<Outcome> {
    MPLI_ASSIGN_OR_RETURN(OrderNames names, names_for(work));
    std::map<std::string, std::string> params(work.parameters().begin(), work.parameters().end());
    MPLI_ASSIGN_OR_RETURN(DatabaseParameters parsed, parse_parameters(params));
    MPLI_ASSIGN_OR_RETURN(std::string password, generate_password());
    MPLI_ASSIGN_OR_RETURN(std::string verifier, scram_sha256_verifier(password));

    AdminSession session(config_.server_dsn, names.database);
    auto& tx = session.tx();
    const std::string role = session.q(names.database);
    const std::string limit = std::to_string(parsed.connection_limit);
    bool role_existed = session.role_exists(names.database);
    // Each provision sets a fresh password: the previous attempt's may be lost with its outcome.
    tx.exec0((role_existed ? "ALTER ROLE " : "CREATE ROLE ") + role + " WITH LOGIN PASSWORD " +
             session.literal(verifier) + " CONNECTION LIMIT " + limit);
    // Before PostgreSQL 16 a non-superuser may give a database only to a role it belongs to.
    if (!session.is_superuser()) {
      bool member =
          !tx.exec_params("SELECT 1 WHERE pg_has_role(current_user, $1, 'MEMBER')", names.database)
               .empty();
      if (!member) tx.exec0("GRANT " + role + " TO CURRENT_USER");
    }
    progress.report(50, "role " + names.database + " ready");
    auto owner = session.database_owner(names.database);
    if (!owner) {
      tx.exec0("CREATE DATABASE " + role + " OWNER " + role + " CONNECTION LIMIT " + limit);
    } else {
      if (*owner != names.database) tx.exec0("ALTER DATABASE " + role + " OWNER TO " + role);
      tx.exec0("ALTER DATABASE " + role + " CONNECTION LIMIT " + limit);
    }
    // Other orders' roles must not connect to this database (PUBLIC has CONNECT by default).
    tx.exec0("REVOKE CONNECT, TEMPORARY ON DATABASE " + role + " FROM PUBLIC");

    worker::StringMap outputs{{"host", config_.public_host},
                              {"port", std::to_string(config_.public_port)},
                              {"database", names.database},
                              {"user", names.database},
                              {"connection_limit", limit}};
    worker::StringMap secrets{{"password", password},
                              {"uri", connection_uri(config_.public_host, config_.public_port,
                                                     names.database, password, names.database)}};
    std::string message = "database " + names.database + (owner ? " already existed" : " created") +
                          "; the role's password was set anew";
    return Outcome::success(std::move(outputs), std::move(secrets),
                            with_notes(message, parsed.notes));
  });
}

Outcome PostgresProvisioner::modify(const Work& work, worker::Progress& /*progress*/) const {
  return guarded("modify", work, [&]() -> Result<Outcome> {
    MPLI_ASSIGN_OR_RETURN(OrderNames names, names_for(work));
    std::map<std::string, std::string> params(work.parameters().begin(), work.parameters().end());
    MPLI_ASSIGN_OR_RETURN(DatabaseParameters parsed, parse_parameters(params));
    AdminSession session(config_.server_dsn, names.database);
    if (!session.database_owner(names.database) || !session.role_exists(names.database)) {
      return failed_precondition("database " + names.database +
                                 " does not exist on this server: provision it first");
    }
    const std::string role = session.q(names.database);
    const std::string limit = std::to_string(parsed.connection_limit);
    session.tx().exec0("ALTER ROLE " + role + " CONNECTION LIMIT " + limit);
    session.tx().exec0("ALTER DATABASE " + role + " CONNECTION LIMIT " + limit);
    worker::StringMap outputs{{"host", config_.public_host},
                              {"port", std::to_string(config_.public_port)},
                              {"database", names.database},
                              {"user", names.database},
                              {"connection_limit", limit}};
    return Outcome::success(
        std::move(outputs), {},
        with_notes("connection limit of " + names.database + " set to " + limit, parsed.notes));
  });
}

Outcome PostgresProvisioner::deprovision(const Work& work, worker::Progress& progress) const {
  return guarded("deprovision", work, [&]() -> Result<Outcome> {
    MPLI_ASSIGN_OR_RETURN(OrderNames names, names_for(work));
    AdminSession session(config_.server_dsn, names.database);
    auto& tx = session.tx();
    const std::string role = session.q(names.database);
    bool had_database = session.database_owner(names.database).has_value();
    if (had_database) {
      if (session.server_version() >= 130000) {
        tx.exec0("DROP DATABASE IF EXISTS " + role + " WITH (FORCE)");
      } else {
        tx.exec0("ALTER DATABASE " + role + " ALLOW_CONNECTIONS false");
        tx.exec_params(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            names.database);
        tx.exec0("DROP DATABASE IF EXISTS " + role);
      }
      progress.report(50, "database " + names.database + " dropped");
    }
    bool had_role = session.role_exists(names.database);
    if (had_role) {
      // Its sessions in other databases would keep the role alive.
      tx.exec_params(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
          "WHERE usename = $1 AND pid <> pg_backend_pid()",
          names.database);
      // What it still owns or was granted here would block DROP ROLE (its own database is gone).
      tx.exec0("DROP OWNED BY " + role);
      tx.exec0("DROP ROLE IF EXISTS " + role);
    }
    std::string message = !had_database && !had_role
                              ? "database and role " + names.database + " were already gone"
                              : "database " + names.database + " and its role dropped";
    return Outcome::success({{"database", names.database}}, {}, message);
  });
}

Outcome PostgresProvisioner::export_database(const Work& work, worker::Progress& progress) const {
  return guarded("export", work, [&]() -> Result<Outcome> {
    if (config_.dump_dir.empty()) {
      return failed_precondition("this worker has no dump directory (--state-dir): no exports");
    }
    MPLI_ASSIGN_OR_RETURN(OrderNames names, names_for(work));
    MPLI_ASSIGN_OR_RETURN(std::string path,
                          dump_file_path(config_.dump_dir, parameter(work, "dump_path"),
                                         names.database + "-" + work.work_id() + ".dump"));
    MPLI_ASSIGN_OR_RETURN(process::Spec spec,
                          tool_spec(config_, work, names.database, "pg_dump", "nothing to export"));
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    fs::permissions(config_.dump_dir, fs::perms::owner_all, ec);
    // Written aside and renamed, so a dump_path never names half a dump.
    std::string partial = path + ".partial";
    spec.args = {"--format=custom", "--file=" + partial};
    progress.report(10, "pg_dump of " + names.database + " started");
    MPLI_ASSIGN_OR_RETURN(process::Completed done,
                          process::run(spec, time_left(work, config_.default_tool_timeout)));
    if (done.exit_code != 0) {
      fs::remove(partial, ec);
      return tool_failure("pg_dump", done.output);
    }
    fs::rename(partial, path, ec);
    if (ec) return internal_error("cannot move the dump to " + path + ": " + ec.message());
    MPLI_ASSIGN_OR_RETURN(auto digest, sha256_of_file(path));
    return Outcome::success({{"dump_path", path},
                             {"sha256", digest.first},
                             {"bytes", std::to_string(digest.second)},
                             {"database", names.database}},
                            {}, "exported " + names.database + " with pg_dump -Fc");
  });
}

Outcome PostgresProvisioner::import_database(const Work& work, worker::Progress& progress) const {
  return guarded("import", work, [&]() -> Result<Outcome> {
    if (config_.dump_dir.empty()) {
      return failed_precondition("this worker has no dump directory (--state-dir): no imports");
    }
    MPLI_ASSIGN_OR_RETURN(OrderNames names, names_for(work));
    if (parameter(work, "dump_path").empty()) {
      return invalid_field("dump_path", "import needs the dump to restore");
    }
    MPLI_ASSIGN_OR_RETURN(std::string path,
                          dump_file_path(config_.dump_dir, parameter(work, "dump_path"), ""));
    if (!fs::is_regular_file(path)) return invalid_field("dump_path", "no dump at " + path);
    std::string expected = parameter(work, "sha256");
    if (!expected.empty()) {
      MPLI_ASSIGN_OR_RETURN(auto digest, sha256_of_file(path));
      if (digest.first != expected) {
        return invalid_field("sha256", "the dump at " + path + " has sha256 " + digest.first);
      }
    }
    MPLI_ASSIGN_OR_RETURN(process::Spec spec, tool_spec(config_, work, names.database, "pg_restore",
                                                        "provision it before importing"));
    // --clean --if-exists: a repeated import replaces what the last one made. --role: the
    // restored objects belong to the order's role, whoever owned them where the dump was made.
    spec.args = {"--clean",
                 "--if-exists",
                 "--no-owner",
                 "--no-privileges",
                 "--role=" + names.database,
                 "--exit-on-error",
                 "--single-transaction",
                 "--dbname=" + names.database,
                 path};
    progress.report(10, "pg_restore into " + names.database + " started");
    MPLI_ASSIGN_OR_RETURN(process::Completed done,
                          process::run(spec, time_left(work, config_.default_tool_timeout)));
    if (done.exit_code != 0) return tool_failure("pg_restore", done.output);
    return Outcome::success({{"database", names.database}, {"dump_path", path}}, {},
                            "imported " + path + " into " + names.database);
  });
}

}  // namespace mpli::pgworker
