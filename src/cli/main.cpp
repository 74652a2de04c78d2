// qcv: define -> train -> quantize -> export -> deploy image classifiers, one native program.
#include "cli/commands.h"
#include "cli/option_checks.h"
#include "cli/run_cli.h"
#ifdef QCV_HAVE_RUNTIME
#include "runtime/omp_spin.h"
#endif

int main(int argc, char** argv) {
#ifdef QCV_HAVE_RUNTIME
  // oneDNN runs on libgomp: bound its idle spinning (runtime/omp_spin.h).
  qcv::runtime::bound_omp_spinning(argv);
#endif
  CLI::App app{"qcv: image classifiers from definition to a fast INT8 deployment"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "qcv 0.1.0");
  qcv::cli::add_models_command(app);
  qcv::cli::add_export_command(app);
  qcv::cli::add_export_tflite_command(app);
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
  qcv::cli::add_sensitivity_command(app);
  qcv::cli::add_tune_command(app);
  qcv::cli::add_shards_command(app);
#endif
#ifdef QCV_HAVE_TORCH
  qcv::cli::add_train_command(app);
#ifdef QCV_HAVE_DATA
  qcv::cli::add_qat_command(app);
  qcv::cli::add_workflow_command(app);
#endif
#endif
  qcv::cli::require_finite_numbers(app);  // every floating-point flag of every command
  return qcv::cli::run_cli(app, argc, argv);
}
