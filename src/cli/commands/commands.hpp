#pragma once
// The command groups, one file each in this folder; make_app (cli/app.cpp) sets them all up.

namespace CLI {
class App;
}

namespace subctl::cli {

class Runtime;

void setup_migrate(CLI::App& app, Runtime& runtime);
void setup_catalog(CLI::App& app, Runtime& runtime);
void setup_partner(CLI::App& app, Runtime& runtime);
void setup_customer(CLI::App& app, Runtime& runtime);
void setup_relationship(CLI::App& app, Runtime& runtime);
void setup_subscription(CLI::App& app, Runtime& runtime);
void setup_upgrade(CLI::App& app, Runtime& runtime);
void setup_licenses(CLI::App& app, Runtime& runtime);
void setup_user(CLI::App& app, Runtime& runtime);
void setup_license(CLI::App& app, Runtime& runtime);
void setup_batch(CLI::App& app, Runtime& runtime);
void setup_report(CLI::App& app, Runtime& runtime);
void setup_audit(CLI::App& app, Runtime& runtime);

}  // namespace subctl::cli
