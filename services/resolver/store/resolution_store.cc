#include "services/resolver/store/resolution_store.h"

#include <pqxx/pqxx>

#include "libs/db/prepared.h"

namespace mpli::resolver {

Status ResolutionStore::put(const std::string& manifest, const v1::Resolution& resolution) {
  std::string bytes;
  if (!resolution.SerializeToString(&bytes)) return internal_error("cannot encode a resolution");
  return pool_.transact([&](pqxx::work& tx) {
    // Not waiting for the WAL flush: a resolution is a computed answer, not a commitment. A
    // crash of the database server within a fraction of a second after the reply can lose it;
    // an order that names it is then refused with RESOLUTION_NOT_FOUND and the consumer resolves
    // again (orders themselves are committed durably by delivery). The flush was about a tenth
    // of a resolve's time at 100,000 offerings.
    tx.exec0("SET LOCAL synchronous_commit = off");
    // One for every resolution: prepared once per connection.
    db::exec_prepared(
        tx,
        "INSERT INTO resolver.resolutions (id, manifest, manifest_sha256, consumer, satisfiable, "
        "resolution, tenant) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        resolution.id(), manifest, resolution.manifest_sha256(), resolution.consumer(),
        resolution.satisfiable(),
        pqxx::binarystring(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()),
        resolution.tenant());
  });
}

Result<std::optional<StoredResolution>> ResolutionStore::get(const std::string& id) {
  using Found = std::optional<StoredResolution>;
  return pool_.transact([&](pqxx::work& tx) -> Result<Found> {
    auto rows = tx.exec_params(
        "SELECT manifest, resolution, tenant FROM resolver.resolutions WHERE id = $1", id);
    if (rows.empty()) return Found();
    StoredResolution stored;
    stored.manifest = rows[0][0].as<std::string>();
    pqxx::binarystring bytes(rows[0][1]);
    if (!stored.resolution.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return internal_error("resolution " + id + " is stored unreadable");
    }
    // The column is the owner: rows from before tenancy have '' there and no tenant inside.
    stored.resolution.set_tenant(rows[0][2].as<std::string>());
    return Found(std::move(stored));
  });
}

}  // namespace mpli::resolver
