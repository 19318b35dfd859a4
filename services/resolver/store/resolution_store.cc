#include "services/resolver/store/resolution_store.h"

#include <pqxx/pqxx>

namespace mpli::resolver {

Status ResolutionStore::put(const std::string& manifest, const v1::Resolution& resolution) {
  std::string bytes;
  if (!resolution.SerializeToString(&bytes)) return internal_error("cannot encode a resolution");
  return pool_.transact([&](pqxx::work& tx) {
    tx.exec_params(
        "INSERT INTO resolver.resolutions (id, manifest, manifest_sha256, consumer, satisfiable, "
        "resolution) VALUES ($1, $2, $3, $4, $5, $6)",
        resolution.id(), manifest, resolution.manifest_sha256(), resolution.consumer(),
        resolution.satisfiable(),
        pqxx::binarystring(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
  });
}

Result<std::optional<StoredResolution>> ResolutionStore::get(const std::string& id) {
  using Found = std::optional<StoredResolution>;
  return pool_.transact([&](pqxx::work& tx) -> Result<Found> {
    auto rows =
        tx.exec_params("SELECT manifest, resolution FROM resolver.resolutions WHERE id = $1", id);
    if (rows.empty()) return Found();
    StoredResolution stored;
    stored.manifest = rows[0][0].as<std::string>();
    pqxx::binarystring bytes(rows[0][1]);
    if (!stored.resolution.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return internal_error("resolution " + id + " is stored unreadable");
    }
    return Found(std::move(stored));
  });
}

}  // namespace mpli::resolver
