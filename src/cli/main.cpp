// qcv: define -> train -> quantize -> export -> deploy image classifiers, one native program.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "cli/commands.h"
#include "ir/error.h"

namespace {
// oneDNN here runs on libgomp, whose idle threads spin for a long while by default. On a loaded
// machine a spinning thread steals the core its sibling needs and one inference becomes 10-20x
// slower; fully passive threads cost 2-3x on an idle one (MobileNetV2 224, 2 threads: 15.5 ms
// passive, 5.3 ms spinning, 5.5 ms with a 20000-iteration spin). libgomp reads its settings once,
// when it is loaded, before main(): so when the user has chosen neither, bound the spin and start
// again. OMP_WAIT_POLICY=ACTIVE or PASSIVE, or GOMP_SPINCOUNT, override this.
void bound_omp_spinning(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  setenv("GOMP_SPINCOUNT", "20000", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: then go on with the default policy
}
}  // namespace

int main(int argc, char** argv) {
  bound_omp_spinning(argv);
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
