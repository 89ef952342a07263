typedef int srv_placeholder_slog;
