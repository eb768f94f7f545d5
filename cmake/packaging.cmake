# packaging.cmake: the Debian packages `cpack -G DEB` makes from the install
# (docs/packaging.md), one a component: saola (the device command, the
# shared library, the shipped schemas), saola-server (the server, its
# systemd units, its settings and backup script) and libsaola-dev (headers,
# static library, saola.pc). Included at the end of the top-level
# CMakeLists.txt, after every install() rule; each of those names its
# component, and nothing else (tests, benchmarks, tools) is installed.
#
# Packages are for /usr: configure with -DCMAKE_INSTALL_PREFIX=/usr, since
# the commands carry the schemas' path (SAOLA_SCHEMAS_INSTALLED) and
# saola.pc its libdir; cpack refuses another prefix.

# What the server's package ships beyond the binary; the paths in the units
# follow the install's directories.
if(TARGET saola-server)
  set(SAOLA_BINDIR "${CMAKE_INSTALL_FULL_BINDIR}")
  set(SAOLA_LIBDIR "${CMAKE_INSTALL_PREFIX}/lib/saola")
  set(SAOLA_DEFAULTS "${CMAKE_INSTALL_FULL_SYSCONFDIR}/default/saola-server")
  set(pkg ${CMAKE_CURRENT_SOURCE_DIR}/packaging)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/packaging)
  configure_file(${pkg}/systemd/saola-server.service.in ${out}/saola-server.service @ONLY)
  configure_file(${pkg}/systemd/saola-server-backup.service.in
                 ${out}/saola-server-backup.service @ONLY)
  install(FILES ${out}/saola-server.service ${out}/saola-server-backup.service
                ${pkg}/systemd/saola-server-backup.timer
          DESTINATION lib/systemd/system COMPONENT saola-server)
  install(PROGRAMS ${pkg}/backup-rotate DESTINATION lib/saola COMPONENT saola-server)
  # 0640: it may hold an upstream token; systemd reads it as root.
  install(FILES ${pkg}/default/saola-server
          DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/default
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ COMPONENT saola-server)
  unset(pkg)
  unset(out)
endif()

# The control files of packaging/debian (PACKAGE.postinst and so on) under
# the names dpkg gives them, for CPACK_DEBIAN_<COMPONENT>_PACKAGE_CONTROL_EXTRA.
function(saola_control_files package out_var)
  set(files)
  foreach(name postinst prerm postrm triggers conffiles)
    set(src ${CMAKE_CURRENT_SOURCE_DIR}/packaging/debian/${package}.${name})
    set(dst ${CMAKE_CURRENT_BINARY_DIR}/packaging/${package}/${name})
    if(EXISTS ${src}.in)
      configure_file(${src}.in ${dst} @ONLY)
    elseif(EXISTS ${src})
      configure_file(${src} ${dst} COPYONLY)
    else()
      continue()
    endif()
    list(APPEND files ${dst})
  endforeach()
  set(${out_var} "${files}" PARENT_SCOPE)
endfunction()
saola_control_files(saola SAOLA_CONTROL)
if(TARGET saola-server)
  saola_control_files(saola-server SAOLA_SERVER_CONTROL)
endif()

set(CPACK_PACKAGE_NAME saola)
set(CPACK_PACKAGE_VENDOR "saola team")
# A real address for packages that leave the building (lintian calls
# localhost a bogus mail host).
set(SAOLA_PACKAGE_MAINTAINER "saola team <saola@localhost>" CACHE STRING
    "The Maintainer: of the Debian packages")
set(CPACK_PACKAGE_CONTACT "${SAOLA_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The commands and libsaola.so without their symbol tables (a Release
# build has no debugging information to keep).
set(CPACK_STRIP_FILES ON)
# Depends from the libraries the binaries link (dpkg-shlibdeps, dpkg-dev),
# plus the packages of the same version each component needs.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# A shlibs file for libsaola.so.0 (only saola has a shared library).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
# The prefix check, at cpack's time (CPACK_PROJECT_CONFIG_FILE).
set(SAOLA_CPACK_CHECK ${CMAKE_CURRENT_BINARY_DIR}/CPackSaolaCheck.cmake)
file(CONFIGURE OUTPUT ${SAOLA_CPACK_CHECK} CONTENT [[
if(NOT "@CMAKE_INSTALL_PREFIX@" STREQUAL "/usr")
  message(FATAL_ERROR "saola's packages install to /usr, but this build was "
    "configured for @CMAKE_INSTALL_PREFIX@ (the schemas' path compiled into the "
    "commands, saola.pc's libdir): configure with -DCMAKE_INSTALL_PREFIX=/usr")
endif()
]] @ONLY)
set(CPACK_PROJECT_CONFIG_FILE ${SAOLA_CPACK_CHECK})

set(CPACK_COMPONENTS_ALL saola libsaola-dev)
if(TARGET saola-server)
  list(APPEND CPACK_COMPONENTS_ALL saola-server)
endif()

# Per package. The synopsis is each description's first line
# (CPACK_PACKAGE_DESCRIPTION_SUMMARY unset, so that CPack adds none); CPack
# indents the rest.

# saola: the device command, the shared library and the schemas.
set(CPACK_DEBIAN_SAOLA_PACKAGE_NAME saola)
set(CPACK_DEBIAN_SAOLA_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_SAOLA_PACKAGE_CONTROL_EXTRA "${SAOLA_CONTROL}")
set(CPACK_DEBIAN_SAOLA_DESCRIPTION "offline-first household survey collection: device command
saola keeps a surveyor's household records in a local database, fills
forms question by question, and syncs with a saola server when a
network is there.

This package holds the saola command, the shared library libsaola
and the shipped forms, standards and administrative units
(/usr/share/saola/schemas), which saola-server reads too.")

# saola-server.
set(CPACK_DEBIAN_SAOLA-SERVER_PACKAGE_NAME saola-server)
set(CPACK_DEBIAN_SAOLA-SERVER_PACKAGE_SECTION net)
set(CPACK_DEBIAN_SAOLA-SERVER_PACKAGE_DEPENDS adduser)
set(CPACK_DEBIAN_SAOLA-SERVER_PACKAGE_CONTROL_EXTRA "${SAOLA_SERVER_CONTROL}")
set(CPACK_DEBIAN_SAOLA-SERVER_DESCRIPTION "offline-first household survey collection: server
saola-server receives the records of surveyors' devices, merges them,
keeps their conflicts for review, and serves the dashboard and the
reports; a district's server can sync with its province's.

The systemd unit saola-server.service runs it as the system user saola,
hardened, with its database in /var/lib/saola; a daily timer backs the
database up to /var/backups/saola. Settings: /etc/default/saola-server.
Both units are installed disabled.")

# libsaola-dev.
set(CPACK_DEBIAN_LIBSAOLA-DEV_PACKAGE_NAME libsaola-dev)
set(CPACK_DEBIAN_LIBSAOLA-DEV_PACKAGE_SECTION libdevel)
# saola.pc: Requires jansson, Requires.private sqlite3.
set(CPACK_DEBIAN_LIBSAOLA-DEV_PACKAGE_DEPENDS "libjansson-dev, libsqlite3-dev")
set(CPACK_DEBIAN_LIBSAOLA-DEV_DESCRIPTION "offline-first household survey collection: development files
libsaola is saola's store of household records, forms, expressions and
change queue, and its interview API.

This package holds the headers (saola/core.h, saola/form.h), the static
library, the libsaola.so link and saola.pc for pkg-config.")

include(CPack)
cpack_add_component(saola DISPLAY_NAME "saola")
cpack_add_component(libsaola-dev DISPLAY_NAME "libsaola-dev" DEPENDS saola)
if(TARGET saola-server)
  cpack_add_component(saola-server DISPLAY_NAME "saola-server" DEPENDS saola)
endif()
