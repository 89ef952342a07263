typedef int srv_placeholder_config;
