/* version.h - the floodwatch version string. */
#ifndef FW_VERSION_H
#define FW_VERSION_H
#define FW_VERSION "0.1.0"
#endif
