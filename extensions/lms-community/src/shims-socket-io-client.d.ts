/**
 * The browser build of socket.io-client: the admin app's Community module imports it by path, because the
 * extension build resolves the package's `node` export (which needs `ws`, `fs` and `child_process`).
 */
declare module 'socket.io-client/dist/socket.io.js' {
	import { io } from 'socket.io-client';
	export default io;
}
