// Limits of chat messages, shared by the server (server/chat/service.ts enforces them) and the
// pages (which say so before sending). Here because the browser may not import from server/.

/** The reactions the server accepts. */
export const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '✊', '🎉', '👀'] as const;
/** Longest message, in characters (WhatsApp allows far more; a chat line is not a post). */
export const MAX_MESSAGE_LENGTH = 4000;
/** Pictures one message may carry. */
export const MAX_MESSAGE_IMAGES = 4;
/** PDF documents one message may carry (leaflets, posters, briefing sheets to print). */
export const MAX_MESSAGE_FILES = 2;
