typedef int srv_placeholder_server;
