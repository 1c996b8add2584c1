(ok, saved) => {
  // signed in, the conversation is saved on the server: nothing is lost, nothing to ask
  let turns = [];
  try { turns = JSON.parse(saved || '[]'); } catch (e) { turns = []; }
  if (!Array.isArray(turns) || turns.length === 0) return [true, saved];
  return [confirm('Bắt đầu cuộc hội thoại mới? Cuộc hội thoại đang mở sẽ bị xoá khỏi trang này (không thể hoàn tác).'), saved];
}
