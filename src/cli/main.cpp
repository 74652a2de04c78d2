// qcv: define -> train -> quantize -> export -> deploy image classifiers, one native program.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "cli/commands.h"
#include "ir/error.h"

namespace {
// oneDNN here runs on libgomp, whose idle threads spin by default. On a loaded machine a spinning
// thread steals the core its sibling needs and one inference becomes 10-20x slower (measured on
// MobileNetV2, bench/bench_vs_ort.js --spin 1). libgomp reads OMP_WAIT_POLICY once, when it is
// loaded, before main(): so when the user has not chosen, set PASSIVE and start again.
// Set OMP_WAIT_POLICY=ACTIVE to keep spinning (lower latency on an otherwise idle machine).
void choose_omp_wait_policy(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: then go on with the default policy
}
}  // namespace

int main(int argc, char** argv) {
  choose_omp_wait_policy(argv);
  CLI::App app{"qcv: image classifiers from definition to a fast INT8 deployment"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "qcv 0.1.0");
  qcv::cli::add_models_command(app);
  qcv::cli::add_export_command(app);
  qcv::cli::add_optimize_command(app);
  qcv::cli::add_info_command(app);
#ifdef QCV_HAVE_RUNTIME
  qcv::cli::add_run_command(app);
  qcv::cli::add_bench_command(app);
#endif
#ifdef QCV_HAVE_DATA
  qcv::cli::add_eval_command(app);
  qcv::cli::add_classify_command(app);
  qcv::cli::add_ptq_command(app);
  qcv::cli::add_shards_command(app);
#endif
#ifdef QCV_HAVE_TORCH
  qcv::cli::add_train_command(app);
#ifdef QCV_HAVE_DATA
  qcv::cli::add_qat_command(app);
  qcv::cli::add_workflow_command(app);
#endif
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help/version (code 0) or the usage error
    return code == 0 ? 0 : 2;
  } catch (const qcv::Error& e) {
    std::fprintf(stderr, "qcv: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qcv: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
