/* report_internal.h: what the pages of lib/report share. */
#ifndef WARD_REPORT_INTERNAL_H
#define WARD_REPORT_INTERNAL_H

/* The stylesheet every page inlines. */
extern const char report_css[];

#endif
