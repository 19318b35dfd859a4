#include "services/portability/handlers/bus_handlers.h"

namespace mpli::portability {

namespace {
using service::CallContext;
}  // namespace

Status serve_migration_subjects(service::ServiceContext& context, MigrationService& migrations) {
  MPLI_RETURN_IF_ERROR((context.serve<v1::CreateMigrationRequest, v1::CreateMigrationReply>(
      "create_migration",
      [&migrations](const v1::CreateMigrationRequest& request, const CallContext&) {
        return migrations.create(request);
      })));
  MPLI_RETURN_IF_ERROR((context.serve<v1::GetMigrationRequest, v1::GetMigrationReply>(
      "get_migration",
      [&migrations](const v1::GetMigrationRequest& request,
                    const CallContext&) -> Result<v1::GetMigrationReply> {
        v1::GetMigrationReply reply;
        MPLI_ASSIGN_OR_RETURN(*reply.mutable_migration(), migrations.get(request));
        return reply;
      })));
  MPLI_RETURN_IF_ERROR((context.serve<v1::ListMigrationsRequest, v1::ListMigrationsReply>(
      "list_migrations", [&migrations](const v1::ListMigrationsRequest& request,
                                       const CallContext&) { return migrations.list(request); })));
  MPLI_RETURN_IF_ERROR((context.serve<v1::CancelMigrationRequest, v1::CancelMigrationReply>(
      "cancel_migration",
      [&migrations](const v1::CancelMigrationRequest& request,
                    const CallContext&) -> Result<v1::CancelMigrationReply> {
        v1::CancelMigrationReply reply;
        MPLI_ASSIGN_OR_RETURN(*reply.mutable_migration(), migrations.cancel(request));
        return reply;
      })));
  return context.serve<v1::GetReportRequest, v1::GetReportReply>(
      "get_report",
      [&migrations](const v1::GetReportRequest& request,
                    const CallContext&) -> Result<v1::GetReportReply> {
        v1::GetReportReply reply;
        MPLI_ASSIGN_OR_RETURN(*reply.mutable_report(), migrations.report(request));
        return reply;
      });
}

}  // namespace mpli::portability
