"""In-console notifications: raised with `notifications.service.notify`, read and
acknowledged by each recipient, pushed live over Socket.IO (notifications.push)."""
