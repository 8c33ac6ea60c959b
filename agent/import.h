/* import.h — `floe import`: NDJSON files into the config's Iceberg table. */
#ifndef FLOE_IMPORT_H
#define FLOE_IMPORT_H

#include <stdbool.h>

#include "config.h"

/* floe_import_run(cfg, files, nfiles, show_progress): imports the files ("-" is stdin) and
 * prints a summary. Returns the exit status: 0 all lines imported, 2 some rejected (reported
 * as FILE:LINE: reason on stderr), 1 a fatal error (nothing of the failed flush committed). */
int floe_import_run(const struct floe_config *cfg, const char *const *files, int nfiles,
                    bool show_progress);

#endif
